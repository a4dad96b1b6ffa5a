// Port of bench/strings.lox: string concatenation and equality.
"use strict";

const N = 1800000;

// One of four short pieces, chosen by k in 0..3.
function piece(k) {
  if (k === 0) return "ab";
  if (k === 1) return "cde";
  if (k === 2) return "f";
  return "ghij";
}

class Word {
  constructor(text) { this.text = text; }
}

function run() {
  let hits = 0;
  let repeats = 0;
  // The last four values of t, newest first.
  let t1 = "";
  let t2 = "";
  let t3 = "";
  let t4 = "";
  const word = new Word("");
  let j = 0;
  let k = 1;
  let m = 0;

  for (let i = 0; i < N; i = i + 1) {
    const s = piece(j) + piece(k);
    const t = s + "-" + piece(j);

    if (s === "abcde") hits = hits + 1;
    if (t === "ghijab-ghij") hits = hits + 1;
    if (s !== "f" + "ghij") hits = hits + 1;
    if (t === t4) repeats = repeats + 1;
    if (t === t1) repeats = repeats + 1;
    if (s !== word.text) repeats = repeats + 1;

    word.text = s;
    t4 = t3;
    t3 = t2;
    t2 = t1;
    t1 = t;

    // j cycles through 0..3 every step; k moves on every fifth step.
    j = j + 1;
    if (j === 4) j = 0;
    m = m + 1;
    if (m === 5) {
      m = 0;
      k = k + 1;
      if (k === 4) k = 0;
    }
  }

  // Build one longer string from pieces, then compare it with a copy.
  let long = "";
  let copy = "";
  for (let i = 0; i < 4; i = i + 1) {
    long = long + piece(i);
    copy = copy + piece(i);
  }

  // Checksum.
  console.log(hits);
  console.log(repeats);
  console.log(long);
  console.log(long === copy);
}

run();
