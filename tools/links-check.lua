#!/usr/bin/env lua5.4
-- TAP: the documentation holds together. README.md stays at most 10 KB;
-- every relative link in README.md and docs/*.md names a file of the
-- repository (and, for a #fragment into a Markdown file, one of its
-- headings); README's Layout section names every top-level directory and
-- every layer under src/, and nothing that does not exist.
-- Run from the repository root (make docs).
local README_LIMIT = 10 * 1024

local n, failed = 0, false
local function check(ok, description, details)
  n = n + 1
  if ok then
    print(("ok %d - %s"):format(n, description))
  else
    failed = true
    print(("not ok %d - %s"):format(n, description))
    for _, line in ipairs(details or {}) do print("#   " .. line) end
  end
end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function lines_of(cmd)
  local out, p = {}, assert(io.popen(cmd))
  for line in p:lines() do out[#out + 1] = line end
  p:close()
  return out
end

-- the tracked files, and the new ones git does not ignore
local files, dirs = {}, {}
for _, f in ipairs(lines_of("git ls-files -co --exclude-standard")) do
  files[f] = true
  local d = f:match("^(.*)/[^/]*$")
  while d do dirs[d] = true; d = d:match("^(.*)/[^/]*$") end
end

-- Markdown text without fenced blocks and code spans, where a "link" is
-- only an example
local function prose(text)
  text = ("\n" .. text):gsub("\n```.-\n```[^\n]*", "\n")
  return (text:gsub("``.-``", ""):gsub("`[^`\n]*`", ""))
end

-- GitHub's heading anchors: lower case, punctuation dropped, spaces to
-- hyphens, repeats numbered
local function anchors(text)
  local set, seen = {}, {}
  text = ("\n" .. text):gsub("\n```.-\n```[^\n]*", "\n")
  for title in text:gmatch("\n#+%s+([^\n]+)") do
    local slug = title:lower():gsub("[^%w%s_%-]", ""):gsub("%s", "-")
    if seen[slug] then
      seen[slug] = seen[slug] + 1
      slug = slug .. "-" .. seen[slug]
    else
      seen[slug] = 0
    end
    set[slug] = true
  end
  return set
end

local function normalize(path)
  local parts = {}
  for p in path:gmatch("[^/]+") do
    if p == ".." then
      if #parts == 0 then return nil end
      parts[#parts] = nil
    elseif p ~= "." then
      parts[#parts + 1] = p
    end
  end
  return table.concat(parts, "/")
end

local docs = { "README.md" }
for _, f in ipairs(lines_of("ls docs/*.md 2>/dev/null")) do docs[#docs + 1] = f end

-- 1. README's size
local readme = read("README.md") or ""
check(#readme > 0 and #readme <= README_LIMIT,
  ("README.md is at most %d bytes (%d)"):format(README_LIMIT, #readme))

-- 2. relative links
local bad, count = {}, 0
for _, doc in ipairs(docs) do
  local text = read(doc)
  local dir = doc:match("^(.*)/") or ""
  local targets = {}
  for t in prose(text):gmatch("%]%(([^)%s]+)") do targets[#targets + 1] = t end
  for t in prose(text):gmatch("\n%[[^%]]+%]:%s*(%S+)") do targets[#targets + 1] = t end
  for _, target in ipairs(targets) do
    if not target:match("^%a[%w+.-]*:") then   -- not http:, mailto:, ...
      count = count + 1
      local path, frag = target:match("^([^#]*)#?(.*)$")
      local resolved = path == "" and doc or normalize((dir ~= "" and dir .. "/" or "") .. path)
      if not resolved or not (files[resolved] or dirs[resolved:gsub("/$", "")]) then
        bad[#bad + 1] = ("%s: %s (no such file)"):format(doc, target)
      elseif frag ~= "" and resolved:match("%.md$") and not anchors(read(resolved) or "")[frag] then
        bad[#bad + 1] = ("%s: %s (no heading #%s in %s)"):format(doc, target, frag, resolved)
      end
    end
  end
end
check(#bad == 0 and count > 0,
  ("every relative link in README.md and docs/*.md resolves (%d links)"):format(count), bad)

-- 3. README's Layout section against the tree
local layout = readme:match("\n## Layout\n(.-)\n## ") or readme:match("\n## Layout\n(.*)$") or ""
local named = {}
for block in layout:gmatch("```\n(.-)\n```") do
  for line in (block .. "\n"):gmatch("([^\n]*)\n") do
    local path = line:match("^([%w_.-][%w_./-]*/)%s")
    if path then   -- a path names its parents too
      local d = path:gsub("/$", "")
      while d do named[d] = true; d = d:match("^(.*)/[^/]*$") end
    end
  end
end
local wanted = {}
for d in pairs(dirs) do
  if not d:match("^%.") and (not d:find("/") or d:match("^src/[^/]+$")) then wanted[d] = true end
end
local mismatch = {}
for d in pairs(wanted) do
  if not named[d] then mismatch[#mismatch + 1] = d .. "/ is in the tree but not in README's Layout" end
end
for d in pairs(named) do
  if not dirs[d] then mismatch[#mismatch + 1] = d .. "/ is in README's Layout but not in the tree" end
end
table.sort(mismatch)
check(next(named) ~= nil and #mismatch == 0,
  "README's Layout section names every top-level directory and src/ layer", mismatch)

print("1.." .. n)
os.exit(failed and 1 or 0)
