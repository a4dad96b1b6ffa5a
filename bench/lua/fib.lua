-- Port of bench/fib.lox: naive recursive Fibonacci.
-- Lox prints integer-valued numbers without a fraction; so does string.format("%d").

local N = 35

local function fib(n)
  if n < 2 then return n end
  return fib(n - 2) + fib(n - 1)
end

print(string.format("%d", fib(N)))
