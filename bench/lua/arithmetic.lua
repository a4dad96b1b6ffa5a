-- Port of bench/arithmetic.lox: floating-point arithmetic in loops (a
-- Mandelbrot count and a Leibniz series), with the same IEEE operations in
-- the same order as the Lox program.

local SIZE = 400
local MAX_ITER = 50
local TERMS = 8000000

-- Prints a number as Lox does (JavaScript's shortest round-trip form):
-- integers without a fraction, other values with the fewest significant
-- digits that read back as the same double. (Exponent forms differ from
-- JavaScript's, but this program prints none.)
local function show(x)
  if x == math.floor(x) and x > -2^53 and x < 2^53 then
    return string.format("%d", x)
  end
  for digits = 1, 17 do
    local s = string.format("%." .. digits .. "g", x)
    if tonumber(s) == x then return s end
  end
  return string.format("%.17g", x)
end

-- Counts the grid points of [-2, 0.5] x [-1.25, 1.25] that stay bounded for
-- MAX_ITER iterations, and the total number of iterations made.
local function mandelbrot()
  local size = SIZE
  local maxIter = MAX_ITER
  local inside = 0
  local iterations = 0
  for py = 0, size - 1 do
    local ci = py * 2.5 / size - 1.25
    for px = 0, size - 1 do
      local cr = px * 2.5 / size - 2
      local zr = 0
      local zi = 0
      local n = 0
      while n < maxIter and zr * zr + zi * zi <= 4 do
        local t = zr * zr - zi * zi + cr
        zi = 2 * zr * zi + ci
        zr = t
        n = n + 1
      end
      if n == maxIter then inside = inside + 1 end
      iterations = iterations + n
    end
  end
  print(show(inside))
  print(show(iterations))
end

-- Leibniz series: 4 * (1 - 1/3 + 1/5 - ...) approaches pi.
local function leibniz()
  local sum = 0
  local sign = 1
  local denominator = 1
  local terms = TERMS
  for _ = 0, terms - 1 do
    sum = sum + sign / denominator
    sign = -sign
    denominator = denominator + 2
  end
  print(show(4 * sum))
end

mandelbrot()
leibniz()
