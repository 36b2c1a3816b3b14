/** The image preview's zoom arithmetic (webview/imagePreview/zoom.ts): fit, steps, wheel, label. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitScale, formatScale, stepScale, wheelScale, ZOOM_STEPS } from '../../webview/imagePreview/zoom';

test('fit: the smaller of the two ratios, never above 100 %', () => {
  // The cases: a 400×1600 strip and a 1024×768 photo in a 1022×717 room.
  assert.equal(fitScale({ w: 400, h: 1600 }, { w: 1022, h: 717 }), 717 / 1600);
  assert.equal(fitScale({ w: 1024, h: 768 }, { w: 1022, h: 717 }), 717 / 768);
  assert.equal(fitScale({ w: 100, h: 50 }, { w: 1022, h: 717 }), 1, 'a small image is not enlarged');
  assert.equal(fitScale({ w: 8000, h: 8000 }, { w: 800, h: 600 }), 0.075);
  assert.equal(fitScale({ w: 0, h: 0 }, { w: 800, h: 600 }), 1);
});

test('steps: VS Code\'s levels in and out from any scale, 100 % → 300 % in three steps', () => {
  assert.deepEqual([1, 1.5, 2].map((s) => stepScale(s, 1, 1)), [1.5, 2, 3]);
  assert.equal(stepScale(0.46, 1, 0.46), 0.5, 'from Fit at 46 % to the next level');
  assert.equal(stepScale(0.46, -1, 0.46), 0.4);
  assert.equal(stepScale(20, 1, 1), 20, 'stays at the top');
  assert.equal(stepScale(0.1, -1, 1), 0.1, 'stays at 10 % when the image fits larger');
  assert.equal(stepScale(0.075, -1, 0.075), 0.075, 'a huge image at Fit (7.5 %) is not enlarged by zooming out');
  assert.equal(stepScale(0.075, 1, 0.075), 0.1);
  assert.deepEqual(ZOOM_STEPS, [...ZOOM_STEPS].sort((a, b) => a - b));
});

test('wheel: 7.5 % a notch, clamped', () => {
  assert.equal(wheelScale(1, -100, 1), 1.075);
  assert.equal(wheelScale(1, 100, 1), 0.925);
  assert.equal(wheelScale(1, 0, 1), 1);
  assert.equal(wheelScale(20, -1, 1), 20);
  assert.equal(wheelScale(0.1, 1, 0.5), 0.1);
  assert.equal(wheelScale(0.05, 1, 0.05), 0.05);
});

test('label: whole percent, one decimal below 10 %', () => {
  assert.deepEqual([3, 1, 0.448, 0.075, 0.1].map(formatScale), ['300%', '100%', '45%', '7.5%', '10%']);
});
