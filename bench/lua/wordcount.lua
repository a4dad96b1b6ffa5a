-- Port of bench/wordcount.lox: counting words with a hash map.
-- Lists keep the Lox program's 0-based indices: a Lox list `xs` is a table
-- whose element i is xs[i] (from xs[0]), with its length in a local, and
-- `xs.push(v)` stores at the next index. A Lox map is a table; `keys()`
-- collects its keys with `pairs` (in another order than Lox's insertion
-- order, which no checksum depends on). `join(" ")` is table.concat and
-- `split(s, " ")` collects the words with string.gmatch (the text has
-- single spaces only). Concatenations are parenthesized as in Lox.

local LINES = 5000
local WORDS = 40
local SEED = 7

local VOCABULARY = {[0] = "the", "of", "and", "to", "in", "a", "is", "that", "for",
  "it", "as", "was", "with", "be", "by", "on", "not", "he", "this", "are"}

-- The words of s, which are separated by single spaces, from [0]; and
-- their number.
local function split(s)
  local words = {}
  local n = 0
  for word in string.gmatch(s, "[^ ]+") do
    words[n] = word
    n = n + 1
  end
  return words, n
end

-- The text: a table of LINES strings of WORDS words separated by spaces.
local function makeText()
  local text = {}
  local vocabularySize = #VOCABULARY + 1
  local x = SEED
  for i = 0, LINES - 1 do
    local words = {}
    for j = 0, WORDS - 1 do
      x = x * 16807 % 2147483647
      local r = x % 100
      if r < 40 then
        words[j] = VOCABULARY[r % vocabularySize]
      else
        words[j] = "w" .. tostring(math.floor(x / 100) % 5000)
      end
    end
    text[i] = table.concat(words, " ", 0, WORDS - 1)
  end
  return text
end

-- A table from each word of the text to the number of times it occurs.
local function countWords(text)
  local counts = {}
  for i = 0, LINES - 1 do
    local words, n = split(text[i])
    for j = 0, n - 1 do
      local word = words[j]
      if counts[word] ~= nil then
        counts[word] = counts[word] + 1
      else
        counts[word] = 1
      end
    end
  end
  return counts
end

-- The keys of a table from [0], and their number.
local function keys(m)
  local result = {}
  local n = 0
  for key in pairs(m) do
    result[n] = key
    n = n + 1
  end
  return result, n
end

local function run()
  local text = makeText()
  local chars = 0
  for i = 0, LINES - 1 do chars = chars + #text[i] end

  local counts = countWords(text)
  local ks, distinct = keys(counts)
  local total = 0
  local weighted = 0
  for i = 0, distinct - 1 do
    local n = counts[ks[i]]
    total = total + n
    weighted = weighted + n * #ks[i]
  end

  -- Checksum: the length of the text, the distinct words, the words counted
  -- (LINES * WORDS), a sum of count times length, and some fixed words.
  print(string.format("%d", chars))
  print(string.format("%d", distinct))
  print(string.format("%d", total))
  print(string.format("%d", weighted))
  print(string.format("%d", counts["the"]))
  print(string.format("%d", counts["are"]))
  print(string.format("%d", counts["w0"]))
  print(string.format("%d", counts["w1234"]))
  print(string.format("%d", counts["w4999"]))
  print(counts["w5000"] ~= nil)
end

run()
