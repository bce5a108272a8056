// The command a mistyped one most likely meant: a command it begins (`stat` → status) before the
// nearest by edit distance (`strat` → start).

/** Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 0; j <= b.length; j += 1) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    const row = d[i] as number[];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const above = (d[i - 1] as number[])[j] ?? 0;
      const diagonal = (d[i - 1] as number[])[j - 1] ?? 0;
      let best = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, ((d[i - 2] as number[])[j - 2] ?? 0) + 1);
      row[j] = best;
    }
  }
  return (d[a.length] as number[])[b.length] ?? 0;
}

/** The command `word` most likely meant, or null when none is close (at most 2 edits away). */
export function suggestCommand(word: string, commands: readonly string[]): string | null {
  const typed = word.toLowerCase();
  if (typed === '') return null;
  const begun = commands.filter((name) => name.startsWith(typed));
  if (begun.length === 1) return begun[0] ?? null;
  let best: string | null = null;
  let bestDistance = 3;
  for (const name of commands) {
    const distance = editDistance(typed, name);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}
