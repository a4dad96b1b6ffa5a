-- Port of bench/polymorphic.lox: polymorphic method calls over a linked list
-- of shapes of four classes, with overriding, inherited methods and super calls.

local COUNT = 100
local PASSES = 40000

local Shape = {}
Shape.__index = Shape

function Shape:init(sides)
  self.sides = sides
end

function Shape:area() return 0 end

-- Inherited by all; calls the overriding area() of the subclass.
function Shape:weight() return self:area() + self.sides end

function Shape:kind() return 0 end

local Circle = setmetatable({}, { __index = Shape })
Circle.__index = Circle

function Circle.new(r)
  local self = setmetatable({}, Circle)
  self:init(r)
  return self
end

function Circle:init(r)
  Shape.init(self, 0)
  self.r = r
end

function Circle:area() return 3 * self.r * self.r end

function Circle:kind() return 1 end

local Square = setmetatable({}, { __index = Shape })
Square.__index = Square

function Square.new(side)
  local self = setmetatable({}, Square)
  self:init(side)
  return self
end

function Square:init(side)
  Shape.init(self, 4)
  self.side = side
end

function Square:area() return self.side * self.side end

function Square:kind() return 2 end

local Triangle = setmetatable({}, { __index = Shape })
Triangle.__index = Triangle

function Triangle.new(base, height)
  local self = setmetatable({}, Triangle)
  self:init(base, height)
  return self
end

function Triangle:init(base, height)
  Shape.init(self, 3)
  self.base = base
  self.height = height
end

function Triangle:area() return self.base * self.height / 2 end

function Triangle:kind() return 3 end

-- A square with a border: area goes through super.
local FramedSquare = setmetatable({}, { __index = Square })
FramedSquare.__index = FramedSquare

function FramedSquare.new(side, border)
  local self = setmetatable({}, FramedSquare)
  self:init(side, border)
  return self
end

function FramedSquare:init(side, border)
  Square.init(self, side)
  self.border = border
end

function FramedSquare:area() return Square.area(self) + 4 * self.border * self.side end

function FramedSquare:kind() return Square.kind(self) + 2 end

local Node = {}
Node.__index = Node

function Node.new(shape, next)
  local self = setmetatable({}, Node)
  self.shape = shape
  self.next = next
  return self
end

-- A mixed list: the class changes from one node to the next.
local function buildList()
  local list = nil
  local which = 0
  for i = 1, COUNT do
    local size = i
    local shape
    if which == 0 then shape = Circle.new(size) end
    if which == 1 then shape = Square.new(size) end
    if which == 2 then shape = Triangle.new(size, i) end
    if which == 3 then shape = FramedSquare.new(size, 1) end
    list = Node.new(shape, list)
    which = which + 1
    if which == 4 then which = 0 end
  end
  return list
end

local function run()
  local list = buildList()
  local total = 0
  local kinds = 0
  for _ = 0, PASSES - 1 do
    local node = list
    while node ~= nil do
      local shape = node.shape
      total = total + shape:area() + shape:weight()
      kinds = kinds + shape:kind()
      node = node.next
    end
  end

  -- Checksum.
  print(string.format("%d", total))
  print(string.format("%d", kinds))
end

run()
