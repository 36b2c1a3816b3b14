/** Helpers for preview tests: frames made by ffmpeg, probes, image header checks. */
import { execFileSync } from 'node:child_process';

/** Names that break naive shell, glob, concat-list and image2 handling; index first so they sort. */
export function hostileFrameName(i: number, ext = 'png'): string {
  const flavours = [`it's $(touch pwned)`, 'back`id`tick', 'new\nline', '-rf *', 'données 数据', 'pct %d %08d', 'semi;colon|pipe', 'q"uote', '[0]'];
  return `${i} ${flavours[i % flavours.length]}.${ext}`;
}

export interface Probe {
  frames: number;
  width: number;
  height: number;
  durationS: number;
  codec: string;
  pixFmt: string;
}

/** ffprobe -count_frames on a local file. */
export function probeVideo(file: string): Probe {
  const out = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,width,height,codec_name,pix_fmt:format=duration', '-of', 'json', file]).toString('utf8');
  const j = JSON.parse(out) as { streams: { nb_read_frames: string; width: number; height: number; codec_name: string; pix_fmt: string }[]; format: { duration: string } };
  const s = j.streams[0];
  return { frames: Number(s.nb_read_frames), width: s.width, height: s.height, durationS: Number(j.format.duration), codec: s.codec_name, pixFmt: s.pix_fmt };
}
