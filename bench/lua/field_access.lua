-- Port of bench/field_access.lox: reading and writing instance fields in
-- tight loops (particles bouncing inside a box), with almost no calls.

local N = 1800000
local SIZE = 1000

local function show(x) return string.format("%d", x) end

local Particle = {}
Particle.__index = Particle

function Particle.new(x, y, vx, vy)
  local self = setmetatable({}, Particle)
  self.x = x
  self.y = y
  self.vx = vx
  self.vy = vy
  self.bounces = 0
  return self
end

local Box = {}
Box.__index = Box

function Box.new()
  local self = setmetatable({}, Box)
  self.a = Particle.new(1, 2, 3, 5)
  self.b = Particle.new(500, 250, -7, 2)
  self.c = Particle.new(999, 10, -1, 11)
  self.steps = 0
  self.mix = 0
  return self
end

local function run()
  local box = Box.new()
  local a = box.a
  local b = box.b
  local c = box.c
  local size = SIZE

  for _ = 0, N - 1 do
    a.x = a.x + a.vx
    if a.x < 0 or a.x > size then a.vx = -a.vx; a.x = a.x + a.vx + a.vx; a.bounces = a.bounces + 1 end
    a.y = a.y + a.vy
    if a.y < 0 or a.y > size then a.vy = -a.vy; a.y = a.y + a.vy + a.vy; a.bounces = a.bounces + 1 end

    b.x = b.x + b.vx
    if b.x < 0 or b.x > size then b.vx = -b.vx; b.x = b.x + b.vx + b.vx; b.bounces = b.bounces + 1 end
    b.y = b.y + b.vy
    if b.y < 0 or b.y > size then b.vy = -b.vy; b.y = b.y + b.vy + b.vy; b.bounces = b.bounces + 1 end

    c.x = c.x + c.vx
    if c.x < 0 or c.x > size then c.vx = -c.vx; c.x = c.x + c.vx + c.vx; c.bounces = c.bounces + 1 end
    c.y = c.y + c.vy
    if c.y < 0 or c.y > size then c.vy = -c.vy; c.y = c.y + c.vy + c.vy; c.bounces = c.bounces + 1 end

    -- Fields of fields, read through the box.
    box.mix = box.mix + box.a.vx * box.b.vx - box.c.vy
    box.steps = box.steps + 1
  end

  -- Checksum: final positions, bounce counts and the step count.
  print(show(a.x + a.y * 1000))
  print(show(b.x + b.y * 1000))
  print(show(c.x + c.y * 1000))
  print(show(a.bounces + b.bounces + c.bounces))
  print(show(box.steps))
  print(show(box.mix))
end

run()
