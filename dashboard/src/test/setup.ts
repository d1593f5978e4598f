import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';

// findBy*/waitFor wait up to 15 s: on a busy 2-core CI machine the first
// render of a lazy page can take several seconds (1 s by default).
configure({ asyncUtilTimeout: 15000 });

afterEach(() => {
  cleanup();
  localStorage.clear();
});

// happy-dom has no layout: give elements the size their inline style asks
// for, so the virtualized lists (which measure their scroll container) render
// a window of rows as in a browser.
for (const prop of ['offsetHeight', 'clientHeight'] as const) {
  Object.defineProperty(HTMLElement.prototype, prop, {
    configurable: true,
    get(this: HTMLElement) {
      return parseFloat(this.style.height) || 0;
    },
  });
}
for (const prop of ['offsetWidth', 'clientWidth'] as const) {
  Object.defineProperty(HTMLElement.prototype, prop, {
    configurable: true,
    get(this: HTMLElement) {
      return parseFloat(this.style.width) || 1000;
    },
  });
}
