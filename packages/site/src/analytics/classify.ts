// What a hit is: the User-Agent class (bots included), whether it is a page view, and, for logs
// without a content type, whether a path looks like a page.
import { extensionOf } from "../cut/content";
import type { RawHit } from "./hit";

const BOT_UA =
  /bot\b|bot\/|crawl|spider|slurp|bingpreview|facebookexternalhit|embedly|quora link|whatsapp|telegrambot|discordbot|preview|monitor|uptime|pingdom|statuscake|nagios|zabbix|curl\/|wget\/|python-requests|python-urllib|aiohttp|httpx|go-http-client|java\/|okhttp|libwww|lwp-|httpclient|apache-http|node-fetch|undici|axios|headlesschrome|phantomjs|scrapy|ahrefs|semrush|mj12|dotbot|petalbot|yandex|baiduspider|wrk\b|apachebench|\bab\/|siege|jmeter|k6\/|prep-receiver|prepcast/i;

export type UaClass = "bot" | "mobile" | "tablet" | "desktop" | "other";

export function classifyUserAgent(ua: string): UaClass {
  if (ua.trim() === "" || BOT_UA.test(ua)) return "bot";
  if (/iPad|Tablet|PlayBook|Silk|Android(?!.*Mobile)/i.test(ua)) return "tablet";
  if (/Mobi|iPhone|iPod|Android.*Mobile|Windows Phone|Opera Mini/i.test(ua)) return "mobile";
  if (/^Mozilla\/|^Opera\//.test(ua)) return "desktop";
  return "other";
}

/** A page view: a successful (2xx, or 304 revalidation of a page already seen) GET of an HTML page by a navigation. */
export function isPageview(hit: Pick<RawHit, "method" | "status" | "path" | "html" | "dest">): boolean {
  if (hit.method !== "GET") return false;
  if (!((hit.status >= 200 && hit.status < 300) || hit.status === 304)) return false;
  if (hit.path.startsWith("/.well-known/")) return false;
  if (hit.dest !== "" && hit.dest !== "document" && hit.dest !== "iframe" && hit.dest !== "frame") return false;
  return hit.html;
}

/** For logs without a content type (nginx): "/", "x/", "*.html" and extensionless paths are pages. */
export function looksLikeHtmlPath(path: string): boolean {
  if (path.endsWith("/")) return true;
  const ext = extensionOf(path);
  return ext === "" || ext === "html" || ext === "htm";
}
