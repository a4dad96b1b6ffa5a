-- Port of bench/instantiation.lox: creating instances, with and without an
-- initializer, all garbage at once.

local N = 2800000

local Empty = {}
Empty.__index = Empty

function Empty.new()
  return setmetatable({}, Empty)
end

local Point = {}
Point.__index = Point

function Point.new(x, y)
  local self = setmetatable({}, Point)
  self.x = x
  self.y = y
  return self
end

local Link = {}
Link.__index = Link

function Link.new(value, next)
  local self = setmetatable({}, Link)
  self.value = value
  self.next = next
  return self
end

local function run()
  local sum = 0
  for i = 0, N - 1 do
    Empty.new()
    local p = Point.new(i, 1)
    local link = Link.new(p, nil)
    sum = sum + link.value.x + link.value.y
  end

  -- Checksum: N * (N - 1) / 2 + N.
  print(string.format("%d", sum))
end

run()
