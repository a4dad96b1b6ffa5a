// Port of bench/sieve.lox: the sieve of Eratosthenes over a list of booleans.
"use strict";

const LIMIT = 1000000;
const PASSES = 2;

// An array of n booleans: flags[i] is whether i is prime.
function sieve(n) {
  const flags = [];
  for (let i = 0; i < n; i = i + 1) flags.push(true);
  flags[0] = false;
  flags[1] = false;
  for (let i = 2; i * i < n; i = i + 1) {
    if (flags[i]) {
      for (let j = i * i; j < n; j = j + i) flags[j] = false;
    }
  }
  return flags;
}

function run() {
  let total = 0;
  let count = 0;
  let sum = 0;
  let largest = 0;
  let twins = 0;
  for (let pass = 0; pass < PASSES; pass = pass + 1) {
    const flags = sieve(LIMIT);
    count = 0;
    sum = 0;
    largest = 0;
    twins = 0;
    for (let i = 0; i < LIMIT; i = i + 1) {
      if (flags[i]) {
        count = count + 1;
        sum = sum + i;
        largest = i;
        if (i + 2 < LIMIT && flags[i + 2]) twins = twins + 1;
      }
    }
    total = total + count;
  }

  // Checksum: the primes below LIMIT, their sum, the largest, the twin
  // pairs (p and p + 2 both prime), and the count over all passes.
  console.log(count);
  console.log(sum);
  console.log(largest);
  console.log(twins);
  console.log(total);
}

run();
