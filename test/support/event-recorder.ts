import type { CloudEvent, HandlerSubscription } from '../../src/index.js';

/** An in-process consumer that records every event it receives, for assertions. */
export class EventRecorder {
  readonly events: CloudEvent[] = [];

  consumer(pattern = 'orchestration.#', id = 'test.recorder'): HandlerSubscription {
    return {
      id,
      pattern,
      handler: async (event) => {
        this.events.push(event);
      },
    };
  }

  ofType(type: string): CloudEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  forRun(runId: string): CloudEvent[] {
    return this.events.filter((e) => e.subject === runId);
  }

  /** The data of events of `type` (typed loosely for assertions). */
  data(type: string): Record<string, unknown>[] {
    return this.ofType(type).map((e) => e.data as Record<string, unknown>);
  }
}
