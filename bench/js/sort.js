// Port of bench/sort.lox: a merge sort over lists of numbers.
"use strict";

const N = 1000000;
const SEED = 20241;

// Ranges this short are sorted by insertion.
const CUTOFF = 8;

// An array of n pseudo-random integers in 1 .. 2^31 - 2.
function randomList(n, seed) {
  const xs = [];
  let x = seed;
  for (let i = 0; i < n; i = i + 1) {
    x = x * 16807 % 2147483647;
    xs.push(x);
  }
  return xs;
}

// Sorts xs[from] .. xs[to - 1] in place by insertion.
function insertionSort(xs, from, to) {
  for (let i = from + 1; i < to; i = i + 1) {
    const v = xs[i];
    let j = i - 1;
    while (j >= from && xs[j] > v) {
      xs[j + 1] = xs[j];
      j = j - 1;
    }
    xs[j + 1] = v;
  }
}

// Sorts xs[from] .. xs[to - 1] in place, using the same range of scratch.
function mergeSort(xs, scratch, from, to) {
  if (to - from <= CUTOFF) {
    insertionSort(xs, from, to);
    return;
  }
  const middle = from + Math.floor((to - from) / 2);
  mergeSort(xs, scratch, from, middle);
  mergeSort(xs, scratch, middle, to);

  // Merge the two sorted halves into scratch (stable: ties take the left),
  // then copy them back.
  let i = from;
  let j = middle;
  let k = from;
  while (i < middle && j < to) {
    const a = xs[i];
    const b = xs[j];
    if (b < a) {
      scratch[k] = b;
      j = j + 1;
    } else {
      scratch[k] = a;
      i = i + 1;
    }
    k = k + 1;
  }
  while (i < middle) {
    scratch[k] = xs[i];
    i = i + 1;
    k = k + 1;
  }
  while (j < to) {
    scratch[k] = xs[j];
    j = j + 1;
    k = k + 1;
  }
  for (let m = from; m < to; m = m + 1) xs[m] = scratch[m];
}

function run() {
  const xs = randomList(N, SEED);
  const scratch = [];
  for (let i = 0; i < N; i = i + 1) scratch.push(0);
  mergeSort(xs, scratch, 0, N);

  // Check the order, and take checksums that depend on it.
  let sorted = true;
  for (let i = 1; i < N; i = i + 1) {
    if (xs[i - 1] > xs[i]) sorted = false;
  }
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < N; i = i + 1) {
    sum = sum + xs[i];
    weighted = weighted + (xs[i] % 1000) * (i % 1000);
  }

  // Checksum: sortedness, the smallest, middle and largest values, the sum
  // and a sum weighted by position.
  console.log(sorted);
  console.log(xs[0]);
  console.log(xs[Math.floor(N / 2)]);
  console.log(xs[N - 1]);
  console.log(sum);
  console.log(weighted);
}

run();
