import { byId } from './dom.js';
import { formatClock } from './format.js';

const REFRESH_MS = 10_000;

/**
 * Runs the page's refresh every REFRESH_MS, one at a time (the next is scheduled when one ends), with a
 * pause button and an "updated at" label.
 */
export class RefreshTimer {
  readonly #label = byId('updated');
  readonly #pause = byId<HTMLButtonElement>('pause');
  #timer: ReturnType<typeof setTimeout> | undefined;
  #paused = false;
  #running = false;
  #again = false;
  #held = false;
  #updatedAt: Date | undefined;

  constructor(private readonly refresh: () => Promise<void>) {
    this.#pause.addEventListener('click', () => {
      this.#paused = !this.#paused;
      this.#pause.setAttribute('aria-pressed', String(this.#paused));
      this.#pause.textContent = this.#paused ? 'Resume' : 'Pause';
      if (this.#paused) clearTimeout(this.#timer);
      else void this.now();
      this.#showLabel();
    });
    byId('refresh-now').addEventListener('click', () => void this.now());
  }

  /** Refreshes now (or right after the refresh under way), then every REFRESH_MS unless paused. */
  async now(): Promise<void> {
    clearTimeout(this.#timer);
    this.#held = false;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    try {
      await this.refresh();
    } finally {
      this.#running = false;
    }
    if (this.#again) {
      this.#again = false;
      return this.now();
    }
    if (!this.#paused && !this.#held) this.#timer = setTimeout(() => void this.now(), REFRESH_MS);
  }

  /** Stops the automatic refresh until now() is called (while the page waits for an API key). */
  hold(): void {
    clearTimeout(this.#timer);
    this.#held = true;
    this.#label.textContent = 'waiting for an API key';
  }

  updated(at: Date): void {
    this.#updatedAt = at;
    this.#label.dataset.updatedAt = at.toISOString();
    this.#showLabel();
  }

  #showLabel(): void {
    const when = this.#updatedAt ? `updated ${formatClock(this.#updatedAt)} UTC` : 'not loaded yet';
    this.#label.textContent = this.#paused ? `${when} · paused` : when;
  }
}
