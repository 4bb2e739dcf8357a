/** A one-line progress bar with rate and ETA on stderr (only on a terminal; plain lines otherwise). */
export class Progress {
  private last = 0;
  private readonly started = Date.now();
  constructor(private readonly label: string, private readonly out: NodeJS.WriteStream = process.stderr) {}

  update(done: number, total: number | null, unit = 'rows', force = false): void {
    const now = Date.now();
    if (!force && now - this.last < 200) return;
    this.last = now;
    const secs = Math.max(0.001, (now - this.started) / 1000);
    const rate = done / secs;
    const pct = total ? Math.min(1, done / total) : null;
    const eta = total && rate > 0 ? Math.max(0, (total - done) / rate) : null;
    const bar = pct === null ? '' : `[${'#'.repeat(Math.round(pct * 24)).padEnd(24, '.')}] ${(pct * 100).toFixed(0).padStart(3)}% `;
    const line = `${this.label} ${bar}${done.toLocaleString('en')}${total ? ` / ${total.toLocaleString('en')}` : ''} ${unit}  ${Math.round(rate).toLocaleString('en')} ${unit}/s${eta !== null ? `  ETA ${fmt(eta)}` : ''}`;
    if (this.out.isTTY) this.out.write(`\r${line}\x1b[K`);
    else if (force) this.out.write(line + '\n');
  }

  done(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}

function fmt(s: number): string {
  const m = Math.floor(s / 60);
  const r = Math.round(s % 60);
  return m ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}
