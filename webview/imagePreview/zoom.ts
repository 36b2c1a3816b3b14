/**
 * The arithmetic of the image preview's zoom, free of the DOM: one scale applied to both sides
 * (a scale is CSS pixels per pixel of the original image, so the aspect ratio cannot drift),
 * "fit" as the largest scale that shows the whole image without enlarging it, the steps of the
 * +/- keys and buttons, and the smooth factor of Ctrl+wheel. The steps and limits are those of
 * VS Code's own image preview, with Fit allowed below its 10 % floor for very large images.
 */

/** Scales the +/- keys and buttons step through. */
export const ZOOM_STEPS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.5, 2, 3, 5, 7, 10, 15, 20];
const MIN_SCALE = ZOOM_STEPS[0];
const MAX_SCALE = ZOOM_STEPS[ZOOM_STEPS.length - 1];
/** One Ctrl+wheel notch (or pinch event) changes the scale by this fraction. */
const WHEEL_FACTOR = 0.075;

export interface Size {
  w: number;
  h: number;
}

/** The largest scale ≤ 1 at which an image of `natural` pixels fits inside `room` CSS pixels. */
export function fitScale(natural: Size, room: Size): number {
  if (natural.w <= 0 || natural.h <= 0) return 1;
  return Math.max(0, Math.min(1, room.w / natural.w, room.h / natural.h));
}

/** The smallest scale zooming out may reach: 10 %, or the fit scale when the image needs less to fit. */
function floor(fit: number): number {
  return Math.min(MIN_SCALE, fit);
}

function clamp(scale: number, fit: number): number {
  return Math.min(MAX_SCALE, Math.max(floor(fit), scale));
}

/** The next step in (`dir` 1) or out (-1) from `current`; stays put at either end. */
export function stepScale(current: number, dir: 1 | -1, fit: number): number {
  const next = dir > 0 ? ZOOM_STEPS.find((s) => s > current * 1.001) : [...ZOOM_STEPS].reverse().find((s) => s < current * 0.999);
  return clamp(next ?? current, fit);
}

/** The scale after one Ctrl+wheel event (`deltaY` < 0 zooms in). */
export function wheelScale(current: number, deltaY: number, fit: number): number {
  if (deltaY === 0) return current;
  return clamp(current * (deltaY < 0 ? 1 + WHEEL_FACTOR : 1 - WHEEL_FACTOR), fit);
}

/** The zoom as the toolbar says it: whole percent, one decimal below 10 %. */
export function formatScale(scale: number): string {
  const pct = scale * 100;
  return `${pct < 10 ? Math.round(pct * 10) / 10 : Math.round(pct)}%`;
}
