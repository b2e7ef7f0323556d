-- JSON fragments built by hand: user data (inputs, results, meta) stays the raw JSON the caller sent,
-- and empty arrays stay `[]` (cjson encodes every empty table as `{}`).

local function jsonArray(fragments)
  return '[' .. table.concat(fragments, ',') .. ']'
end

-- fields: flat list key1, fragment1, key2, fragment2...
local function jsonObject(fields)
  local parts = {}
  for i = 1, #fields, 2 do
    parts[#parts + 1] = cjson.encode(fields[i]) .. ':' .. fields[i + 1]
  end
  return '{' .. table.concat(parts, ',') .. '}'
end

local function jsonStrings(list)
  local out = {}
  for i, s in ipairs(list) do out[i] = cjson.encode(s) end
  return jsonArray(out)
end

local function refusal(reason)
  return jsonObject({ 'ok', 'false', 'reason', cjson.encode(reason) })
end
