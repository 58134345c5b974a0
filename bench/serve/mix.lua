-- wrk request mix for bench/serve: cycles through the paths (each thread starts at a different one).
local paths = { --PATHS-- }
local i = math.random(#paths)
request = function()
  i = (i % #paths) + 1
  return wrk.format("GET", paths[i])
end
