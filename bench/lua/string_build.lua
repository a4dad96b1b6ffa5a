-- Port of bench/string_build.lox: building strings and taking them apart.
-- Lists keep the Lox program's 0-based indices: a Lox list `xs` is a table
-- whose element i is xs[i] (from xs[0]), with its length in a local, and
-- `xs.push(v)` stores at the next index. Strings keep Lox's 0-based byte
-- positions too: `s[i]` is string.sub(s, i + 1, i + 1), `substr(s, a, b)`
-- is string.sub(s, a + 1, b) (the bounds here are always in range), `ord`
-- is string.byte, `str` is tostring (of integers), `num` is tonumber, `len`
-- is `#` and `join` is table.concat. Concatenations are parenthesized to
-- build the same intermediate strings as Lox's left-associative `+`.

local ROUNDS = 800
local FIELDS = 100

-- n as text, with zeros in front up to width digits.
local function pad(n, width)
  local text = tostring(n)
  while #text < width do text = "0" .. text end
  return text
end

-- FIELDS numbers of up to three digits, separated by commas.
local function makeRecord(round)
  local record = ""
  for i = 0, FIELDS - 1 do
    if i > 0 then record = record .. "," end
    record = record .. tostring((round * 31 + i * 7) % 1000)
  end
  return record
end

-- The comma-separated fields of a record, from [0], and their number: a
-- scan byte by byte, cut with string.sub.
local function fields(record)
  local result = {}
  local count = 0
  local start = 0
  local n = #record
  for i = 0, n - 1 do
    if string.sub(record, i + 1, i + 1) == "," then
      result[count] = string.sub(record, start + 1, i)
      count = count + 1
      start = i + 1
    end
  end
  result[count] = string.sub(record, start + 1, n)
  count = count + 1
  return result, count
end

-- A hash of the bytes of s.
local function checksum(s)
  local sum = 0
  for i = 0, #s - 1 do
    sum = (sum * 31 + string.byte(string.sub(s, i + 1, i + 1))) % 1000000007
  end
  return sum
end

local function run()
  local total = 0
  local check = 0
  local long = ""
  for round = 0, ROUNDS - 1 do
    local parts, count = fields(makeRecord(round))
    -- The fields in reverse order, padded to three digits and bracketed.
    local pieces = {}
    local n = 0
    for i = count - 1, 0, -1 do
      pieces[n] = ("[" .. pad(tonumber(parts[i]), 3)) .. "]"
      n = n + 1
    end
    local joined = table.concat(pieces, ";", 0, n - 1)
    total = total + #joined
    check = (check + checksum(joined)) % 1000000007
    long = long .. string.sub(joined, round % 50 + 1, round % 50 + 10)
  end

  -- Checksum: the bytes of all the joined records, their hash, and the
  -- length and hash of the long string.
  print(string.format("%d", total))
  print(string.format("%d", check))
  print(string.format("%d", #long))
  print(string.format("%d", checksum(long)))
  print(string.sub(long, 1, 30))
end

run()
