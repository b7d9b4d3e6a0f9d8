// The workspace's only script: grading without reloading the page, keyboard shortcuts, and the
// approvals page's refresh. It writes text with textContent only, never HTML.
"use strict";

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]').content;
}

function say(message, conflict) {
  const line = document.getElementById("status");
  if (!line) return;
  line.textContent = message;
  line.classList.toggle("conflict", Boolean(conflict));
}

async function submitGrade(form) {
  const response = await fetch(form.action, {
    method: "POST",
    body: new FormData(form),
    headers: { "X-Requested-With": "fetch", "X-CSRF-Token": csrfToken() },
    credentials: "same-origin",
  });
  let body = {};
  try { body = await response.json(); } catch (e) { body = { error: "the server said " + response.status }; }
  if (response.ok) {
    form.querySelector('input[name="version"]').value = String(body.version);
    const where = body.step >= 0 ? "step " + body.step : "the verdict";
    say("saved " + where, false);
    form.dataset.saved = String(body.version);
  } else {
    say((body.error || "not saved") + (body.hint ? " (" + body.hint + ")" : ""), response.status === 409);
  }
}

function steps() { return Array.from(document.querySelectorAll("section.step[data-step]")); }

function activeStep() {
  return document.querySelector("section.step.active") || steps()[0] || null;
}

function activate(section) {
  steps().forEach((s) => s.classList.remove("active"));
  if (section) { section.classList.add("active"); section.scrollIntoView({ block: "nearest" }); }
}

function move(delta) {
  const all = steps();
  const current = all.indexOf(activeStep());
  activate(all[Math.min(all.length - 1, Math.max(0, current + delta))]);
}

function gradeForm() {
  const section = activeStep();
  return section ? section.querySelector("form.grade") : null;
}

function setClass(value) {
  const form = gradeForm();
  if (form) form.querySelector('select[name="label"]').value = value;
}

function setVerdict(value) {
  const form = document.querySelector("#verdict form.grade");
  if (!form) return;
  form.querySelector('input[name="verdict"][value="' + value + '"]').checked = true;
  submitGrade(form);
}

const KEYS = {
  j: () => move(1),
  k: () => move(-1),
  o: () => setClass("correct"),
  x: () => setClass("error"),
  h: () => { const f = gradeForm(); if (f) { const box = f.querySelector('input[name="ask_human"]'); box.checked = !box.checked; } },
  s: () => { const f = gradeForm(); if (f) submitGrade(f); },
  a: () => setVerdict("accept"),
  r: () => setVerdict("reject"),
  n: () => setVerdict("needs-fix"),
};

function onKey(event) {
  const target = event.target;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (target && ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName) && target.type !== "radio" && target.type !== "checkbox") return;
  if (/^[1-5]$/.test(event.key)) {
    const form = gradeForm();
    if (form) form.querySelector('input[name="quality"][value="' + event.key + '"]').checked = true;
    event.preventDefault();
    return;
  }
  const action = KEYS[event.key];
  if (action) { action(); event.preventDefault(); }
}

function refreshApprovals() {
  const box = document.getElementById("approvals");
  if (!box) return;
  const seconds = Number(box.dataset.refresh || "5");
  setInterval(() => {
    const busy = document.activeElement && ["INPUT", "TEXTAREA"].includes(document.activeElement.tagName);
    if (!busy) window.location.reload();
  }, seconds * 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form.grade").forEach((form) => {
    form.addEventListener("submit", (event) => { event.preventDefault(); submitGrade(form); });
  });
  steps().forEach((s) => s.addEventListener("click", () => activate(s)));
  if (steps().length) { document.addEventListener("keydown", onKey); activate(steps()[0]); }
  refreshApprovals();
});
