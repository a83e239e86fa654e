"""Writing figures and animations: PNG (Agg), GIF (Pillow), MP4 (H.264 through the ffmpeg
binary of ``imageio-ffmpeg``).

``Staging`` hands out temporary paths beside the final files; a figure's files replace the
old ones (``os.replace``) only once all of them are complete, and on any error the
temporary files are removed and the old files stay as they were.
"""

import os
import secrets
import shutil
from pathlib import Path

import numpy as np

from catgoodhart.viz import style

GIF_COLOURS = 64  # one palette for every frame, from a montage of frames


class Staging:
    """Temporary paths for a figure's files ``names`` in ``out_dir``; use as a context manager
    and call ``commit()`` when every file has been written."""

    def __init__(self, out_dir, names):
        self.out_dir = Path(out_dir)
        self.names = tuple(names)
        self._temps = {}

    def path(self, name):
        """The temporary path that will become ``out_dir / name`` (same suffix, hidden name)."""
        if name not in self.names:
            raise ValueError(f"`name` must be one of this figure's files {self.names}, got {name!r}")
        if name not in self._temps:
            final = Path(name)
            self._temps[name] = self.out_dir / f".{final.stem}.{secrets.token_hex(6)}.tmp{final.suffix}"
        return self._temps[name]

    def commit(self):
        """Rename every temporary file over its final name; returns the final paths."""
        missing = [n for n in self.names if n not in self._temps or not self._temps[n].is_file()]
        if missing:
            raise RuntimeError(f"the renderer did not write {', '.join(missing)}")
        finals = []
        for name in self.names:
            tmp, final = self._temps[name], self.out_dir / name
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            if final.exists():
                shutil.copymode(final, tmp)
            os.replace(tmp, final)
            finals.append(final)
        self._temps.clear()
        return finals

    def discard(self):
        """Remove the temporary files written so far."""
        for tmp in self._temps.values():
            tmp.unlink(missing_ok=True)
        self._temps.clear()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.discard()
        return False


def save_png(fig, path):
    """Write ``fig`` as a PNG at ``style.SAVE_DPI``."""
    fig.savefig(path, format="png", dpi=style.SAVE_DPI)


def rgb_frame(fig):
    """Draw ``fig`` on its Agg canvas and return the pixels as an (h, w, 3) uint8 array."""
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[:, :, :3].copy()


def save_gif(frames, path, fps):
    """An endlessly looping GIF; every frame is mapped, undithered, onto one palette built
    from a montage of the first, middle and last frames."""
    from PIL import Image

    frames = list(frames)
    sample = np.concatenate([frames[0], frames[len(frames) // 2], frames[-1]], axis=0)
    palette = Image.fromarray(sample).quantize(colors=GIF_COLOURS, method=Image.Quantize.MEDIANCUT)
    images = [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:],
                   duration=round(1000 / fps), loop=0, optimize=False)


def save_mp4(frames, path, fps):
    """H.264 (yuv420p, even width and height) in an MP4 container, written by ffmpeg."""
    import imageio_ffmpeg

    frames = list(frames)
    height, width = frames[0].shape[:2]
    if width % 2 or height % 2:
        raise ValueError(f"H.264 in yuv420p needs even frame sizes, got {width}×{height}")
    writer = imageio_ffmpeg.write_frames(str(path), (width, height), fps=fps, codec="libx264",
                                         pix_fmt_in="rgb24", pix_fmt_out="yuv420p", quality=None,
                                         macro_block_size=2, ffmpeg_log_level="error",
                                         output_params=["-crf", "23", "-f", "mp4",
                                                        "-movflags", "+faststart"])
    writer.send(None)
    try:
        for frame in frames:
            writer.send(np.ascontiguousarray(frame))
    finally:
        writer.close()
