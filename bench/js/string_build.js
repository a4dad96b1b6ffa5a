// Port of bench/string_build.lox: building strings and taking them apart.
// `s[i]` is s[i], `substr` is slice, `ord(c)` is c.charCodeAt(0), `str` is
// String and `num` is Number; every string is ASCII, so its length in
// UTF-16 units is its length in bytes.
"use strict";

const ROUNDS = 800;
const FIELDS = 100;

// n as text, with zeros in front up to width digits.
function pad(n, width) {
  let text = String(n);
  while (text.length < width) text = "0" + text;
  return text;
}

// FIELDS numbers of up to three digits, separated by commas.
function makeRecord(round) {
  let record = "";
  for (let i = 0; i < FIELDS; i = i + 1) {
    if (i > 0) record = record + ",";
    record = record + String((round * 31 + i * 7) % 1000);
  }
  return record;
}

// The comma-separated fields of a record: a scan with `s[i]`, cut with
// `slice`.
function fields(record) {
  const result = [];
  let start = 0;
  const n = record.length;
  for (let i = 0; i < n; i = i + 1) {
    if (record[i] === ",") {
      result.push(record.slice(start, i));
      start = i + 1;
    }
  }
  result.push(record.slice(start, n));
  return result;
}

// A hash of the bytes of s.
function checksum(s) {
  let sum = 0;
  for (let i = 0; i < s.length; i = i + 1) {
    sum = (sum * 31 + s[i].charCodeAt(0)) % 1000000007;
  }
  return sum;
}

function run() {
  let total = 0;
  let check = 0;
  let long = "";
  for (let round = 0; round < ROUNDS; round = round + 1) {
    const parts = fields(makeRecord(round));
    // The fields in reverse order, padded to three digits and bracketed.
    const pieces = [];
    for (let i = parts.length - 1; i >= 0; i = i - 1) {
      pieces.push("[" + pad(Number(parts[i]), 3) + "]");
    }
    const joined = pieces.join(";");
    total = total + joined.length;
    check = (check + checksum(joined)) % 1000000007;
    long = long + joined.slice(round % 50, round % 50 + 10);
  }

  // Checksum: the bytes of all the joined records, their hash, and the
  // length and hash of the long string.
  console.log(total);
  console.log(check);
  console.log(long.length);
  console.log(checksum(long));
  console.log(long.slice(0, 30));
}

run();
