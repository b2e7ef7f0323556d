/** The edge transport: invocations as QStash messages to `POST /invoke`. */
export { delaySeconds, headerSafe, type MessageSettings, toPublishRequest } from './message.js';
export { QStashTransport, type QStashTransportOptions } from './qstash-transport.js';
