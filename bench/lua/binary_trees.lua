-- Port of bench/binary_trees.lox: the classic binary-trees benchmark, with
-- instances (tables with a metatable) as tree nodes.

local MIN_DEPTH = 4
local MAX_DEPTH = 16

local function show(x) return string.format("%d", x) end

local Tree = {}
Tree.__index = Tree

function Tree.new(depth)
  local self = setmetatable({}, Tree)
  if depth > 0 then
    self.left = Tree.new(depth - 1)
    self.right = Tree.new(depth - 1)
  else
    self.left = nil
    self.right = nil
  end
  return self
end

-- Number of nodes in the tree.
function Tree:check()
  if self.left == nil then return 1 end
  return 1 + self.left:check() + self.right:check()
end

local function run()
  local stretchDepth = MAX_DEPTH + 1
  local total = 0

  local stretch = Tree.new(stretchDepth):check()
  print(show(stretch))
  total = total + stretch

  local longLived = Tree.new(MAX_DEPTH)

  -- Iterations for depth d: 2^(MAX_DEPTH - d + MIN_DEPTH).
  local iterations = 1
  for _ = 0, MAX_DEPTH - 1 do iterations = iterations * 2 end

  local depth = MIN_DEPTH
  while depth <= MAX_DEPTH do
    local check = 0
    for _ = 0, iterations - 1 do
      check = check + Tree.new(depth):check()
    end
    print(show(iterations))
    print(show(check))
    total = total + check
    iterations = iterations / 4
    depth = depth + 2
  end

  local longCheck = longLived:check()
  print(show(longCheck))
  total = total + longCheck

  -- Checksum: total number of nodes checked.
  print(show(total))
end

run()
