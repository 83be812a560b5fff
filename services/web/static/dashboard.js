"use strict";
// The dashboard's live part: every few seconds it reads /api/v1/history (the web service's
// ring of the last hour) and redraws the charts and the headline numbers. No library.

const POLL_MS = 3000;
const COLOURS = ["#1f6feb", "#cf222e", "#17733b"];

function text(id, value) {
  const node = document.getElementById(id);
  if (node !== null) node.textContent = value;
}

function range(lines) {
  let low = Infinity, high = -Infinity;
  for (const line of lines) for (const v of line) if (v !== null) {
    low = Math.min(low, v); high = Math.max(high, v);
  }
  if (low === Infinity) return [0, 1];
  if (low === high) return [low - 1, high + 1];
  return [low, high];
}

// Draws each series of `lines` against the times `t`; returns how many points it drew.
function draw(canvas, t, lines) {
  const width = canvas.width = canvas.clientWidth || 400;
  const height = canvas.height = canvas.clientHeight || 150;
  const g = canvas.getContext("2d");
  g.clearRect(0, 0, width, height);
  const [low, high] = range(lines);
  const end = t.length ? t[t.length - 1] : 0, start = end - 3600;
  const x = (s) => 40 + (width - 45) * (s - start) / 3600;
  const y = (v) => height - 15 - (height - 25) * (v - low) / (high - low);
  g.fillStyle = "#555"; g.font = "11px sans-serif";
  g.fillText(String(+high.toPrecision(4)), 2, 12);
  g.fillText(String(+low.toPrecision(4)), 2, height - 15);
  g.fillText("last hour", width - 60, height - 2);
  let points = 0;
  lines.forEach((line, n) => {
    g.strokeStyle = COLOURS[n % COLOURS.length]; g.lineWidth = 1.5; g.beginPath();
    let drawing = false;
    line.forEach((v, i) => {
      if (v === null) { drawing = false; return; }
      if (drawing) g.lineTo(x(t[i]), y(v)); else g.moveTo(x(t[i]), y(v));
      g.fillStyle = g.strokeStyle;
      g.fillRect(x(t[i]) - 1.5, y(v) - 1.5, 3, 3);  // a lone sample shows too
      drawing = true; points += 1;
    });
    g.stroke();
  });
  return points;
}

async function poll() {
  let data;
  try {
    const reply = await fetch("/api/v1/history", {credentials: "same-origin"});
    if (!reply.ok) { text("live", "disconnected (" + reply.status + ")"); return; }
    data = await reply.json();
  } catch (error) {
    text("live", "disconnected"); return;
  }
  text("served-time", data.served_utc);
  text("sync-state", data.sync_state);
  const state = document.getElementById("sync-state");
  if (state !== null) state.className = "big state-" + data.sync_state;
  text("sync-meaning", data.meaning);
  text("est-error", data.est_error);
  text("leap", data.leap);
  text("live", "updated " + new Date().toLocaleTimeString());
  for (const canvas of document.querySelectorAll("canvas[data-series]")) {
    const names = canvas.dataset.series.split(" ");
    const points = draw(canvas, data.series.t, names.map((name) => data.series[name] || []));
    canvas.dataset.points = String(points);
  }
}

poll();
setInterval(poll, POLL_MS);
