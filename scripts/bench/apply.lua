-- wrk script: server-side apply of a typical Deployment.
-- MODE=create applies new objects (bench-<thread>-<n>); MODE=update re-applies
-- the first COUNT objects of each thread with a new image each time.
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  local f = assert(io.open(os.getenv("BODY"), "r"))
  template = f:read("*a")
  f:close()
  mode = os.getenv("MODE") or "create"
  count = tonumber(os.getenv("COUNT") or "1000")
  n = 0
end
function request()
  n = n + 1
  local i = n
  if mode == "update" then i = (n % count) + 1 end
  local name = "bench-" .. id .. "-" .. i
  local body = template:gsub("NAME", name):gsub("IMAGE", "registry.example/app:" .. mode .. "-" .. n)
  return wrk.format("PATCH", "/apis/apps/v1/namespaces/bench/deployments/" .. name .. "?fieldManager=bench",
    {["Content-Type"] = "application/apply-patch+yaml"}, body)
end
