-- Port of bench/sort.lox: a merge sort over lists of numbers.
-- Lists keep the Lox program's 0-based indices: a Lox list `xs` is a table
-- whose element i is xs[i] (from xs[0]), and `xs.push(v)` stores at the next
-- index, which the loop knows. Lox's `floor` is math.floor.

local N = 1000000
local SEED = 20241

-- Ranges this short are sorted by insertion.
local CUTOFF = 8

-- A table of n pseudo-random integers in 1 .. 2^31 - 2, from xs[0].
local function randomList(n, seed)
  local xs = {}
  local x = seed
  for i = 0, n - 1 do
    x = x * 16807 % 2147483647
    xs[i] = x
  end
  return xs
end

-- Sorts xs[from] .. xs[to - 1] in place by insertion.
local function insertionSort(xs, from, to)
  for i = from + 1, to - 1 do
    local v = xs[i]
    local j = i - 1
    while j >= from and xs[j] > v do
      xs[j + 1] = xs[j]
      j = j - 1
    end
    xs[j + 1] = v
  end
end

-- Sorts xs[from] .. xs[to - 1] in place, using the same range of scratch.
local function mergeSort(xs, scratch, from, to)
  if to - from <= CUTOFF then
    insertionSort(xs, from, to)
    return
  end
  local middle = from + math.floor((to - from) / 2)
  mergeSort(xs, scratch, from, middle)
  mergeSort(xs, scratch, middle, to)

  -- Merge the two sorted halves into scratch (stable: ties take the left),
  -- then copy them back.
  local i = from
  local j = middle
  local k = from
  while i < middle and j < to do
    local a = xs[i]
    local b = xs[j]
    if b < a then
      scratch[k] = b
      j = j + 1
    else
      scratch[k] = a
      i = i + 1
    end
    k = k + 1
  end
  while i < middle do
    scratch[k] = xs[i]
    i = i + 1
    k = k + 1
  end
  while j < to do
    scratch[k] = xs[j]
    j = j + 1
    k = k + 1
  end
  for m = from, to - 1 do xs[m] = scratch[m] end
end

local function run()
  local xs = randomList(N, SEED)
  local scratch = {}
  for i = 0, N - 1 do scratch[i] = 0 end
  mergeSort(xs, scratch, 0, N)

  -- Check the order, and take checksums that depend on it.
  local sorted = true
  for i = 1, N - 1 do
    if xs[i - 1] > xs[i] then sorted = false end
  end
  local sum = 0
  local weighted = 0
  for i = 0, N - 1 do
    sum = sum + xs[i]
    weighted = weighted + (xs[i] % 1000) * (i % 1000)
  end

  -- Checksum: sortedness, the smallest, middle and largest values, the sum
  -- and a sum weighted by position.
  print(sorted)
  print(string.format("%d", xs[0]))
  print(string.format("%d", xs[math.floor(N / 2)]))
  print(string.format("%d", xs[N - 1]))
  print(string.format("%d", sum))
  print(string.format("%d", weighted))
end

run()
