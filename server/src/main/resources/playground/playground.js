// The plinth playground: plain DOM, no framework, nothing stored. The API key lives in the
// input's value and is read per request; it is never written to storage or a cookie.
"use strict";

const $ = (id) => document.getElementById(id);

function headers(extra) {
  const h = Object.assign({ "Accept": "application/json" }, extra || {});
  const key = $("key").value.trim();
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

async function call(path, body, extra) {
  const started = performance.now();
  const response = await fetch(path, {
    method: "POST",
    headers: headers(Object.assign({ "Content-Type": "application/json" }, extra)),
    body: JSON.stringify(body),
    credentials: "omit",
  });
  const ms = performance.now() - started;
  let json;
  try {
    json = await response.json();
  } catch (e) {
    throw new Error("HTTP " + response.status + ": the answer is not JSON");
  }
  if (!response.ok) {
    const message = json.readableMessage || json.detail || json.message || ("HTTP " + response.status);
    throw new Error(message);
  }
  return { json, ms };
}

function status(id, text, error) {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle("error", !!error);
}

async function busy(button, statusId, work) {
  button.disabled = true;
  status(statusId, "Working…");
  try {
    await work();
  } catch (e) {
    status(statusId, e.message, true);
  } finally {
    button.disabled = false;
  }
}

// ---- tabs (WAI-ARIA pattern: arrows, Home and End move between tabs)

function selectTab(tab, focus) {
  for (const t of document.querySelectorAll("[role=tab]")) {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute("aria-controls")).hidden = !on;
  }
  if (focus) tab.focus();
}

function setUpTabs() {
  const tabs = Array.from(document.querySelectorAll("[role=tab]"));
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => selectTab(tab, false));
    tab.addEventListener("keydown", (e) => {
      const moves = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 };
      if (!(e.key in moves)) return;
      e.preventDefault();
      selectTab(tabs[(moves[e.key] + tabs.length) % tabs.length], true);
    });
  });
}

// ---- Markdown, rendered as DOM nodes (never innerHTML: the page's text is not trusted)

function inline(parent, text) {
  const pattern = /(!?\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\))|(\*\*([^*]+)\*\*)|(__([^_]+)__)|(\*([^*]+)\*)|(_([^_]+)_)|(`([^`]+)`)/;
  while (text) {
    const m = pattern.exec(text);
    if (!m) { parent.append(text); return; }
    if (m.index > 0) parent.append(text.slice(0, m.index));
    if (m[1]) {
      if (m[1].startsWith("!")) {
        // Pictures are shown as their description: the playground loads nothing from the page.
        const span = document.createElement("span");
        span.className = "image";
        span.textContent = "[image: " + (m[2] || m[3]) + "]";
        parent.append(span);
      } else {
        const a = document.createElement("a");
        if (/^https?:/i.test(m[3])) a.href = m[3];
        a.rel = "noopener noreferrer";
        a.target = "_blank";
        inline(a, m[2]);
        parent.append(a);
      }
    } else if (m[4] || m[6]) {
      const b = document.createElement("strong");
      inline(b, m[5] || m[7]);
      parent.append(b);
    } else if (m[8] || m[10]) {
      const i = document.createElement("em");
      inline(i, m[9] || m[11]);
      parent.append(i);
    } else {
      const c = document.createElement("code");
      c.textContent = m[13];
      parent.append(c);
    }
    text = text.slice(m.index + m[0].length);
  }
}

function renderMarkdown(target, markdown) {
  target.replaceChildren();
  const lines = markdown.replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) { i++; continue; }
    const fence = /^(```|~~~)/.exec(line);
    if (fence) {
      const pre = document.createElement("pre");
      const code = [];
      i++;
      while (i < lines.length && !lines[i].startsWith(fence[1])) code.push(lines[i++]);
      i++;
      pre.textContent = code.join("\n");
      target.append(pre);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const h = document.createElement("h" + heading[1].length);
      inline(h, heading[2]);
      target.append(h);
      i++;
      continue;
    }
    if (i + 1 < lines.length && line.trim() && /^(=+|-+)\s*$/.test(lines[i + 1])) {
      const h = document.createElement(lines[i + 1].startsWith("=") ? "h1" : "h2");
      inline(h, line);
      target.append(h);
      i += 2;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      target.append(document.createElement("hr"));
      i++;
      continue;
    }
    const item = /^\s*([-*+]|\d+[.)])\s+/;
    if (item.test(line)) {
      const list = document.createElement(/^\s*\d/.test(line) ? "ol" : "ul");
      while (i < lines.length && item.test(lines[i])) {
        const li = document.createElement("li");
        inline(li, lines[i].replace(item, ""));
        list.append(li);
        i++;
      }
      target.append(list);
      continue;
    }
    if (line.startsWith(">")) {
      const quote = document.createElement("blockquote");
      const quoted = [];
      while (i < lines.length && lines[i].startsWith(">")) quoted.push(lines[i++].replace(/^>\s?/, ""));
      inline(quote, quoted.join(" "));
      target.append(quote);
      continue;
    }
    const paragraph = [];
    while (i < lines.length && lines[i].trim() && !/^(#{1,6}\s|```|~~~|>|\s*([-*+]|\d+[.)])\s)/.test(lines[i])) {
      paragraph.push(lines[i++].trim());
    }
    if (!paragraph.length) { paragraph.push(lines[i++]); }
    const p = document.createElement("p");
    inline(p, paragraph.join(" "));
    target.append(p);
  }
}

// ---- Read

function setUpRead() {
  for (const radio of document.querySelectorAll("input[name=source]")) {
    radio.addEventListener("change", () => {
      const html = document.querySelector("input[name=source]:checked").value === "html";
      $("url-field").hidden = html;
      $("html-field").hidden = !html;
    });
  }
  $("read-form").addEventListener("submit", (e) => {
    e.preventDefault();
    busy($("read-go"), "read-status", async () => {
      const html = document.querySelector("input[name=source]:checked").value === "html";
      const body = html ? { html: $("read-html").value } : { url: $("read-url").value.trim() };
      const options = {
        "X-Respond-With": $("read-format").value,
        "X-Engine": $("read-engine").value,
        "X-Target-Selector": $("read-target").value.trim(),
        "X-Remove-Selector": $("read-remove").value.trim(),
        "X-Max-Tokens": $("read-max").value.trim(),
        "X-With-Links-Summary": $("read-links").checked ? "true" : "",
        "X-No-Cache": $("read-nocache").checked ? "true" : "",
      };
      for (const k of Object.keys(options)) if (!options[k]) delete options[k];
      const { json, ms } = await call("/", body, options);
      const data = json.data || {};
      const text = data.content ?? data.html ?? data.text ?? "";
      $("read-markdown").textContent = text;
      renderMarkdown($("read-rendered"), text);
      $("read-json").textContent = JSON.stringify(json, null, 2);
      $("read-tokens").textContent = String((data.usage || {}).tokens ?? "");
      $("read-time").textContent = (ms / 1000).toFixed(2) + " s";
      $("read-title").textContent = data.title || "(none)";
      $("read-stats").hidden = false;
      status("read-status", "Read " + (data.url || "the HTML") + ".");
    });
  });
}

// ---- Embeddings: the similarity matrix as a heatmap

function lines(id) {
  return $(id).value.split("\n").map((s) => s.trim()).filter(Boolean);
}

function cosine(a, b) {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return dot / (Math.sqrt(na) * Math.sqrt(nb) || 1);
}

function heat(value) {
  // White at 0 (or below), deep blue at 1.
  const t = Math.max(0, Math.min(1, value));
  const r = Math.round(255 - 244 * t), g = Math.round(255 - 160 * t), b = Math.round(255 - 82 * t);
  return "rgb(" + r + "," + g + "," + b + ")";
}

function setUpEmbed() {
  $("embed-form").addEventListener("submit", (e) => {
    e.preventDefault();
    busy($("embed-go"), "embed-status", async () => {
      const texts = lines("embed-texts");
      if (texts.length < 2) throw new Error("give at least two texts, one a line");
      const body = { input: texts };
      if ($("embed-model").value.trim()) body.model = $("embed-model").value.trim();
      const { json, ms } = await call("/v1/embeddings", body);
      const vectors = json.data.map((d) => d.embedding);
      const table = $("embed-matrix");
      const head = document.createElement("tr");
      head.append(document.createElement("th"));
      texts.forEach((t, j) => {
        const th = document.createElement("th");
        th.scope = "col";
        th.textContent = String(j + 1);
        th.title = t;
        head.append(th);
      });
      table.tHead.replaceChildren(head);
      const rows = texts.map((t, i) => {
        const tr = document.createElement("tr");
        const th = document.createElement("th");
        th.scope = "row";
        th.textContent = (i + 1) + ". " + t;
        th.title = t;
        tr.append(th);
        vectors.forEach((v, j) => {
          const s = cosine(vectors[i], v);
          const td = document.createElement("td");
          td.textContent = s.toFixed(2);
          td.style.backgroundColor = heat(s);
          td.style.color = s > 0.6 ? "#fff" : "#1d232b";
          td.setAttribute("aria-label", "texts " + (i + 1) + " and " + (j + 1) + ": " + s.toFixed(2));
          tr.append(td);
        });
        return tr;
      });
      table.tBodies[0].replaceChildren(...rows);
      table.hidden = false;
      status("embed-status", texts.length + " texts, " + json.usage.total_tokens + " tokens, "
        + (ms / 1000).toFixed(2) + " s, model " + json.model + ".");
    });
  });
}

// ---- Rerank

function setUpRerank() {
  $("rerank-form").addEventListener("submit", (e) => {
    e.preventDefault();
    busy($("rerank-go"), "rerank-status", async () => {
      const documents = lines("rerank-docs");
      const body = { query: $("rerank-query").value, documents };
      if ($("rerank-model").value.trim()) body.model = $("rerank-model").value.trim();
      const { json, ms } = await call("/v1/rerank", body);
      const top = Math.max(...json.results.map((r) => r.relevance_score), 1e-9);
      const items = json.results.map((r) => {
        const li = document.createElement("li");
        li.append(documents[r.index]);
        const score = document.createElement("span");
        score.className = "score";
        score.textContent = r.relevance_score.toFixed(4);
        li.append(score);
        const bar = document.createElement("span");
        bar.className = "bar";
        bar.style.width = Math.max(2, 100 * r.relevance_score / top) + "%";
        li.append(bar);
        return li;
      });
      $("rerank-results").replaceChildren(...items);
      status("rerank-status", documents.length + " documents, " + (ms / 1000).toFixed(2) + " s, model " + json.model + ".");
    });
  });
}

setUpTabs();
setUpRead();
setUpEmbed();
setUpRerank();
