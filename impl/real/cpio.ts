/**
 * A writer for the "newc" cpio format the Linux kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst): per entry a 110-byte ASCII
 * header of 13 eight-digit hex fields, the NUL-terminated name, the data, each padded to 4
 * bytes; a "TRAILER!!!" entry ends the archive. Archives can be concatenated.
 */

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

export class CpioWriter {
  private readonly chunks: Uint8Array[] = [];
  private readonly dirs = new Set<string>([""]);
  private inode = 1;
  private size = 0;

  /** A regular file at `path` (no leading slash needed); parent directories are added. */
  file(path: string, data: Uint8Array, mode = 0o644): void {
    const name = path.replace(/^\/+/, "");
    this.parents(name);
    this.entry(name, S_IFREG | mode, data);
  }

  private parents(name: string): void {
    const parts = name.split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (this.dirs.has(dir)) continue;
      this.dirs.add(dir);
      this.entry(dir, S_IFDIR | 0o755, new Uint8Array(0));
    }
  }

  private entry(name: string, mode: number, data: Uint8Array): void {
    const fields = [this.inode++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, name.length + 1, 0];
    const header = `070701${fields.map((f) => f.toString(16).padStart(8, "0")).join("")}${name}\0`;
    this.push(new TextEncoder().encode(header));
    this.push(data);
  }

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
    const pad = (4 - (this.size % 4)) % 4;
    if (pad > 0) {
      this.chunks.push(new Uint8Array(pad));
      this.size += pad;
    }
  }

  /** The archive with its trailer. */
  finish(): Uint8Array {
    this.entry("TRAILER!!!", 0, new Uint8Array(0));
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
