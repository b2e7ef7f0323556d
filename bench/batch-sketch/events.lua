-- A lifecycle event as waooaw publishes it (same attributes and data fields, same size).
local function lifecycleEvent(id, type, run, task, now, result)
  return '{"specversion":"1.0","id":"' .. id .. '","source":"/waooaw/orchestrator","type":"' .. type ..
    '","subject":"' .. run .. '","time":"' .. now .. '","datacontenttype":"application/json",' ..
    '"correlationid":"' .. run .. '","causationid":"' .. run .. '",' ..
    '"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","data":{"task_id":"' .. run ..
    ':' .. task .. '","run_id":"' .. run .. '","name":"' .. task .. '","workflow":"fan","attempt":1,' ..
    '"worker_id":"worker-1","trigger_event_id":"' .. run .. '","result":' .. (result or 'null') .. '}}'
end
