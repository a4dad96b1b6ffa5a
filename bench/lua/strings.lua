-- Port of bench/strings.lox: string concatenation and equality.
-- Concatenations are parenthesized to build the same intermediate strings as
-- Lox's left-associative `+` (Lua's `..` is right-associative and joins a
-- chain in one step).

local N = 1800000

-- One of four short pieces, chosen by k in 0..3.
local function piece(k)
  if k == 0 then return "ab" end
  if k == 1 then return "cde" end
  if k == 2 then return "f" end
  return "ghij"
end

local Word = {}
Word.__index = Word

function Word.new(text)
  local self = setmetatable({}, Word)
  self.text = text
  return self
end

local function run()
  local hits = 0
  local repeats = 0
  -- The last four values of t, newest first.
  local t1 = ""
  local t2 = ""
  local t3 = ""
  local t4 = ""
  local word = Word.new("")
  local j = 0
  local k = 1
  local m = 0

  for _ = 0, N - 1 do
    local s = piece(j) .. piece(k)
    local t = (s .. "-") .. piece(j)

    if s == "abcde" then hits = hits + 1 end
    if t == "ghijab-ghij" then hits = hits + 1 end
    if s ~= "f" .. "ghij" then hits = hits + 1 end
    if t == t4 then repeats = repeats + 1 end
    if t == t1 then repeats = repeats + 1 end
    if s ~= word.text then repeats = repeats + 1 end

    word.text = s
    t4 = t3
    t3 = t2
    t2 = t1
    t1 = t

    -- j cycles through 0..3 every step; k moves on every fifth step.
    j = j + 1
    if j == 4 then j = 0 end
    m = m + 1
    if m == 5 then
      m = 0
      k = k + 1
      if k == 4 then k = 0 end
    end
  end

  -- Build one longer string from pieces, then compare it with a copy.
  local long = ""
  local copy = ""
  for i = 0, 3 do
    long = long .. piece(i)
    copy = copy .. piece(i)
  end

  -- Checksum.
  print(string.format("%d", hits))
  print(string.format("%d", repeats))
  print(long)
  print(long == copy)
end

run()
