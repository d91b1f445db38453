// Accent-insensitive search: "to tiet kiem" finds "Tổ tiết kiệm" (đ counts as d).
export function fold(text) {
  return String(text ?? '').normalize('NFD').replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** True when every word of `query` occurs in `haystack` (both folded). */
export function matches(haystack, query) {
  const words = fold(query).split(' ').filter(Boolean);
  const text = fold(haystack);
  return words.every((w) => text.includes(w));
}
