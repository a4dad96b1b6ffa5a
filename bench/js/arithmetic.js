// Port of bench/arithmetic.lox: floating-point arithmetic in loops (a
// Mandelbrot count and a Leibniz series), with the same IEEE operations in
// the same order as the Lox program. Lox prints numbers as JavaScript does.
"use strict";

const SIZE = 400;
const MAX_ITER = 50;
const TERMS = 8000000;

// Counts the grid points of [-2, 0.5] x [-1.25, 1.25] that stay bounded for
// MAX_ITER iterations, and the total number of iterations made.
function mandelbrot() {
  const size = SIZE;
  const maxIter = MAX_ITER;
  let inside = 0;
  let iterations = 0;
  for (let py = 0; py < size; py = py + 1) {
    const ci = py * 2.5 / size - 1.25;
    for (let px = 0; px < size; px = px + 1) {
      const cr = px * 2.5 / size - 2;
      let zr = 0;
      let zi = 0;
      let n = 0;
      while (n < maxIter && zr * zr + zi * zi <= 4) {
        const t = zr * zr - zi * zi + cr;
        zi = 2 * zr * zi + ci;
        zr = t;
        n = n + 1;
      }
      if (n === maxIter) inside = inside + 1;
      iterations = iterations + n;
    }
  }
  console.log(inside);
  console.log(iterations);
}

// Leibniz series: 4 * (1 - 1/3 + 1/5 - ...) approaches pi.
function leibniz() {
  let sum = 0;
  let sign = 1;
  let denominator = 1;
  const terms = TERMS;
  for (let k = 0; k < terms; k = k + 1) {
    sum = sum + sign / denominator;
    sign = -sign;
    denominator = denominator + 2;
  }
  console.log(4 * sum);
}

mandelbrot();
leibniz();
