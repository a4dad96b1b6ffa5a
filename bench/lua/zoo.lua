-- Port of bench/zoo.lox: six different getter methods invoked on one instance.

local N = 5000000

local Zoo = {}
Zoo.__index = Zoo

function Zoo.new()
  local self = setmetatable({}, Zoo)
  self.aardvark = 1
  self.baboon = 1
  self.cat = 1
  self.donkey = 1
  self.elephant = 1
  self.fox = 1
  return self
end

function Zoo:ant() return self.aardvark end
function Zoo:banana() return self.baboon end
function Zoo:tuna() return self.cat end
function Zoo:hay() return self.donkey end
function Zoo:grass() return self.elephant end
function Zoo:mouse() return self.fox end

local function run()
  local zoo = Zoo.new()
  local sum = 0
  for _ = 0, N - 1 do
    sum = sum + zoo:ant() + zoo:banana() + zoo:tuna() + zoo:hay() + zoo:grass()
      + zoo:mouse()
  end

  -- Checksum: 6 * N.
  print(string.format("%d", sum))
end

run()
