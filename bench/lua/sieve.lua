-- Port of bench/sieve.lox: the sieve of Eratosthenes over a list of booleans.
-- Lists keep the Lox program's 0-based indices: a Lox list `xs` is a table
-- whose element i is xs[i] (from xs[0]), and `xs.push(v)` stores at the next
-- index, which the loop knows.

local LIMIT = 1000000
local PASSES = 2

-- A table of n booleans, from flags[0]: flags[i] is whether i is prime.
local function sieve(n)
  local flags = {}
  for i = 0, n - 1 do flags[i] = true end
  flags[0] = false
  flags[1] = false
  local i = 2
  while i * i < n do
    if flags[i] then
      for j = i * i, n - 1, i do flags[j] = false end
    end
    i = i + 1
  end
  return flags
end

local function run()
  local total = 0
  local count = 0
  local sum = 0
  local largest = 0
  local twins = 0
  for _ = 0, PASSES - 1 do
    local flags = sieve(LIMIT)
    count = 0
    sum = 0
    largest = 0
    twins = 0
    for i = 0, LIMIT - 1 do
      if flags[i] then
        count = count + 1
        sum = sum + i
        largest = i
        if i + 2 < LIMIT and flags[i + 2] then twins = twins + 1 end
      end
    end
    total = total + count
  end

  -- Checksum: the primes below LIMIT, their sum, the largest, the twin
  -- pairs (p and p + 2 both prime), and the count over all passes.
  print(string.format("%d", count))
  print(string.format("%d", sum))
  print(string.format("%d", largest))
  print(string.format("%d", twins))
  print(string.format("%d", total))
end

run()
