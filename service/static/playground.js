// The playground: sends the chosen image to this service's own API and shows what came back.
// Nothing here talks to any other host (the page's Content-Security-Policy forbids it), and nothing is stored.
"use strict";

const API = "v2/playground/ocr/driver-license";
const LOW_CONFIDENCE = 0.8;
const SVG = "http://www.w3.org/2000/svg";

const $ = (id) => document.getElementById(id);
let chosen = null;

function choose(file) {
  chosen = file;
  $("chosen").textContent = file ? `${file.name} (${Math.round(file.size / 1024)} KiB)` : "";
  $("read").disabled = !file;
  if (file) {
    URL.revokeObjectURL($("photo").src);
    $("photo").src = URL.createObjectURL(file);
    clear();
  }
}

function clear() {
  $("boxes").replaceChildren();
  $("fields").tBodies[0].replaceChildren();
  $("warnings").replaceChildren();
  $("answer").textContent = "";
}

function base64Of(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    // A data URL: the part after the comma is the base64 the API wants.
    reader.onload = () => resolve(reader.result.slice(reader.result.indexOf(",") + 1));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

function say(text, isError) {
  $("status").textContent = text;
  $("status").classList.toggle("error", Boolean(isError));
}

async function read(event) {
  event.preventDefault();
  if (!chosen) return;
  clear();
  document.body.dataset.state = "reading";
  say("Reading…");
  const headers = { "Content-Type": "application/json" };
  const token = $("token").value.trim();
  if (token) headers["X-Auth-Token"] = token;
  const body = {
    image: await base64Of(chosen),
    side: $("side").value,
    return_issuing_authority: $("authority").checked,
    return_text_location: true,
  };
  const started = performance.now();
  let response;
  try {
    response = await fetch(API, { method: "POST", headers, body: JSON.stringify(body) });
  } catch (error) {
    document.body.dataset.state = "failed";
    say(`The service did not answer: ${error.message}`, true);
    return;
  }
  const answer = await response.json();
  const took = Math.round(performance.now() - started);
  const requestId = response.headers.get("X-Request-Id");
  $("answer").textContent = JSON.stringify(answer, null, 2);
  if (!response.ok) {
    document.body.dataset.state = "failed";
    say(`HTTP ${response.status} ${answer.error_code}: ${answer.error_msg} (request ${requestId}, ${took} ms)`, true);
    return;
  }
  show(answer.result);
  document.body.dataset.state = "done";
  say(`HTTP 200 in ${took} ms (request ${requestId})`);
}

function show(result) {
  const confidence = result.confidence || {};
  // The licence's fields are the keys that carry a confidence; type and side are about the whole page.
  const rows = Object.entries(result).filter(([field]) => field in confidence);
  for (const [field, value] of rows) {
    const row = $("fields").tBodies[0].insertRow();
    row.dataset.field = field;
    row.insertCell().textContent = field;
    row.insertCell().textContent = value;
    const cell = row.insertCell();
    if (field in confidence) {
      cell.textContent = confidence[field].toFixed(3);
      cell.classList.toggle("low", confidence[field] < LOW_CONFIDENCE);
    }
  }
  for (const warning of result.warnings || []) {
    const item = document.createElement("li");
    item.textContent = typeof warning === "string" ? warning : JSON.stringify(warning);
    $("warnings").append(item);
  }
  const photo = $("photo");
  const draw = () => drawBoxes(result.text_location || {}, photo.naturalWidth, photo.naturalHeight);
  if (photo.complete && photo.naturalWidth) draw();
  else photo.addEventListener("load", draw, { once: true });
}

function drawBoxes(locations, width, height) {
  const svg = $("boxes");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const size = Math.max(12, Math.round(width / 70));
  for (const [field, corners] of Object.entries(locations)) {
    const polygon = document.createElementNS(SVG, "polygon");
    polygon.setAttribute("points", corners.map(([x, y]) => `${x},${y}`).join(" "));
    polygon.dataset.field = field;
    const label = document.createElementNS(SVG, "text");
    label.setAttribute("x", corners[0][0]);
    label.setAttribute("y", corners[0][1] - size * 0.3);
    label.setAttribute("font-size", size);
    label.textContent = field;
    svg.append(polygon, label);
  }
  svg.dataset.boxes = Object.keys(locations).length;
}

document.addEventListener("DOMContentLoaded", () => {
  $("file").addEventListener("change", () => choose($("file").files[0] || null));
  $("request").addEventListener("submit", read);
  const drop = $("drop");
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    if (event.dataTransfer.files.length) choose(event.dataTransfer.files[0]);
  });
});
