/**
 * The system Chromium driven by puppeteer-core for the report's layout tests: headless, no sandbox
 * (root in CI), GPU and background networking off, and every request other than file:// or data:
 * refused, so a page can never reach the network.
 */
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { CHROMIUM } from "./chromium";

export async function launch(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"],
  });
}

/** A page at the given viewport width that loads only local files. */
export async function openLocal(browser: Browser, file: string, width: number, height = 900): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width, height, deviceScaleFactor: 1 });
  await page.setRequestInterception(true);
  page.on("request", (req) => {
    const url = req.url();
    if (url.startsWith("file://") || url.startsWith("data:")) void req.continue();
    else void req.abort("blockedbyclient");
  });
  await page.goto(`file://${file}`, { waitUntil: "load" });
  return page;
}
