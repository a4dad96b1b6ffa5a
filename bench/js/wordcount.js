// Port of bench/wordcount.lox: counting words with a hash map.
"use strict";

const LINES = 5000;
const WORDS = 40;
const SEED = 7;

const VOCABULARY = ["the", "of", "and", "to", "in", "a", "is", "that", "for",
  "it", "as", "was", "with", "be", "by", "on", "not", "he", "this", "are"];

// The text: an array of LINES strings of WORDS words separated by spaces.
function makeText() {
  const text = [];
  const vocabularySize = VOCABULARY.length;
  let x = SEED;
  for (let i = 0; i < LINES; i = i + 1) {
    const words = [];
    for (let j = 0; j < WORDS; j = j + 1) {
      x = x * 16807 % 2147483647;
      const r = x % 100;
      if (r < 40) {
        words.push(VOCABULARY[r % vocabularySize]);
      } else {
        words.push("w" + String(Math.floor(x / 100) % 5000));
      }
    }
    text.push(words.join(" "));
  }
  return text;
}

// A map from each word of the text to the number of times it occurs.
function countWords(text) {
  const counts = new Map();
  for (let i = 0; i < text.length; i = i + 1) {
    const words = text[i].split(" ");
    for (let j = 0; j < words.length; j = j + 1) {
      const word = words[j];
      if (counts.has(word)) {
        counts.set(word, counts.get(word) + 1);
      } else {
        counts.set(word, 1);
      }
    }
  }
  return counts;
}

function run() {
  const text = makeText();
  let chars = 0;
  for (let i = 0; i < text.length; i = i + 1) chars = chars + text[i].length;

  const counts = countWords(text);
  const keys = Array.from(counts.keys());
  let total = 0;
  let weighted = 0;
  for (let i = 0; i < keys.length; i = i + 1) {
    const n = counts.get(keys[i]);
    total = total + n;
    weighted = weighted + n * keys[i].length;
  }

  // Checksum: the length of the text, the distinct words, the words counted
  // (LINES * WORDS), a sum of count times length, and some fixed words.
  console.log(chars);
  console.log(keys.length);
  console.log(total);
  console.log(weighted);
  console.log(counts.get("the"));
  console.log(counts.get("are"));
  console.log(counts.get("w0"));
  console.log(counts.get("w1234"));
  console.log(counts.get("w4999"));
  console.log(counts.has("w5000"));
}

run();
