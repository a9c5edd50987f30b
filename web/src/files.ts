// Files the user saves or opens: a download made in the page (the API needs the bearer
// header, so a plain link cannot fetch it), and a chosen file read as text.

/** Offer `data` as a download named `name`. */
export function saveFile(name: string, data: Blob): void {
  const url = URL.createObjectURL(data);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file name from a title: letters, digits, dashes; never empty. */
export function fileName(title: string, extension: string): string {
  const stem = title
    .normalize("NFKC")
    .replace(/[^\p{L}\p{N}]+/gu, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80);
  return `${stem || "bot"}.${extension}`;
}
