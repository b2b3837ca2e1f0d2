import type { AuthError } from './api.js';
import { byId } from './dom.js';

const STORAGE_KEY = 'flowanalysis.apiKey';

/**
 * The API key of this tab: kept in sessionStorage, so it is gone when the tab closes and never shared
 * with other tabs. Asked for with a small form whenever the service answers 401 or 403.
 */
export class ApiKeyPrompt {
  readonly #form = byId<HTMLFormElement>('key-form');
  readonly #input = byId<HTMLInputElement>('api-key');
  readonly #reason = byId('key-reason');
  readonly #forget = byId<HTMLButtonElement>('forget-key');

  /** `onKey` runs once a key has been entered, or forgotten. */
  constructor(onKey: () => void) {
    this.#forget.hidden = this.key() === null;
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      sessionStorage.setItem(STORAGE_KEY, this.#input.value.trim());
      this.#input.value = '';
      this.#form.hidden = true;
      this.#forget.hidden = false;
      onKey();
    });
    this.#forget.addEventListener('click', () => {
      sessionStorage.removeItem(STORAGE_KEY);
      this.#forget.hidden = true;
      onKey();
    });
  }

  key(): string | null {
    return sessionStorage.getItem(STORAGE_KEY);
  }

  /** Drops the refused key and asks for another, saying why. */
  ask(error: AuthError): void {
    const hadKey = this.key() !== null;
    sessionStorage.removeItem(STORAGE_KEY);
    this.#forget.hidden = true;
    this.#reason.textContent =
      error.status === 403
        ? 'This key lacks the query scope (403). Enter a key with the query scope.'
        : hadKey
          ? 'The service did not accept this key (401). Enter another.'
          : 'This service needs an API key with the query scope (401).';
    this.#form.hidden = false;
    this.#input.focus();
  }
}
