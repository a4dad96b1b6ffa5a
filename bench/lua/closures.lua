-- Port of bench/closures.lox: creating and calling closures.

local N = 1200000

-- A counter: `count` is captured and assigned.
local function makeCounter(start)
  local count = start
  local function next()
    count = count + 1
    return count
  end
  return next
end

-- Two closures sharing one captured, assigned variable.
local Pair = {}
Pair.__index = Pair

function Pair.new(get, set)
  local self = setmetatable({}, Pair)
  self.get = get
  self.set = set
  return self
end

local function makeBox(value)
  local function get() return value end
  local function set(v) value = v end
  return Pair.new(get, set)
end

-- Captured but never assigned.
local function makeAdder(n)
  local function add(x) return x + n end
  return add
end

-- Two levels: the innermost function reads `a` from two scopes out.
local function makeNested(a)
  local function middle(b)
    local function inner(c) return a + b + c end
    return inner
  end
  return middle
end

local function run()
  local total = 0
  for i = 0, N - 1 do
    local counter = makeCounter(i)
    counter()
    counter()
    total = total + counter() - i

    local box = makeBox(i)
    box.set(box.get() + 1)
    total = total + box.get() - i

    local add = makeAdder(i)
    total = total + add(1) + add(2) - i - i

    local inner = makeNested(1)(2)
    total = total + inner(3) + inner(4)

    -- A closure over the loop's own local, created and called right away.
    local j = i
    local function bump() j = j + 1 end
    bump()
    bump()
    total = total + j - i
  end

  -- A long-lived counter called many times.
  local ticks = makeCounter(0)
  local last = 0
  for _ = 0, N - 1 do
    last = ticks()
  end

  -- Checksum.
  print(string.format("%d", total))
  print(string.format("%d", last))
end

run()
