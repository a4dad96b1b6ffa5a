-- Port of bench/method_call.lox: many method invocations on instances,
-- methods returning self for chaining, inherited methods and super calls.

local N = 2500000

local Toggle = {}
Toggle.__index = Toggle

function Toggle.new(state)
  local self = setmetatable({}, Toggle)
  self:init(state)
  return self
end

function Toggle:init(state)
  self.state = state
end

function Toggle:value() return self.state end

function Toggle:activate()
  self.state = not self.state
  return self
end

-- Flips only every `period`-th time it is activated.
local NthToggle = setmetatable({}, { __index = Toggle })
NthToggle.__index = NthToggle

function NthToggle.new(state, period)
  local self = setmetatable({}, NthToggle)
  self:init(state, period)
  return self
end

function NthToggle:init(state, period)
  Toggle.init(self, state)
  self.period = period
  self.count = 0
end

function NthToggle:activate()
  self.count = self.count + 1
  if self.count >= self.period then
    Toggle.activate(self)
    self.count = 0
  end
  return self
end

local Counter = {}
Counter.__index = Counter

function Counter.new()
  local self = setmetatable({}, Counter)
  self.n = 0
  return self
end

function Counter:inc() self.n = self.n + 1 end
function Counter:add(k) self.n = self.n + k end
function Counter:get() return self.n end
function Counter:reset() self.n = 0 end

local function run()
  local toggle = Toggle.new(true)
  local nth = NthToggle.new(true, 3)
  local counter = Counter.new()
  local trues = 0
  local sum = 0

  for _ = 0, N - 1 do
    if toggle:activate():value() then trues = trues + 1 end
    if toggle:activate():value() then trues = trues + 1 end
    if nth:activate():value() then trues = trues + 1 end
    if nth:activate():value() then trues = trues + 1 end
    counter:inc()
    counter:add(2)
    counter:inc()
    if counter:get() >= 1000 then
      sum = sum + counter:get()
      counter:reset()
    end
  end

  -- Checksum: how many times a toggle read true, and the counter totals.
  print(string.format("%d", trues))
  print(string.format("%d", sum + counter:get()))
end

run()
