/** A column of a plain-text table; numbers read best right-aligned. */
export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/**
 * A table with a header row, columns two spaces apart, each as wide as its widest cell; no trailing
 * spaces, so output stays diff- and grep-friendly.
 */
export function renderTable(columns: Column[], rows: string[][]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        return c.align === 'right' ? cell.padStart(widths[i]) : cell.padEnd(widths[i]);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)].join('\n');
}
