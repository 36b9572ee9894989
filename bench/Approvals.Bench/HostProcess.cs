using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Approvals.Core.Http;
using Approvals.Local.Actions;

namespace Approvals.Bench;

/// <summary>The local host alone in its own process (<c>approvals-local serve</c>), as a host runs in production; the
/// benchmark is only a client: it starts approvals over the public API, sets the emulator's rules and faults and reads
/// its counters over its admin API, and learns when each reset happened from the directory's own log file.</summary>
public sealed class HostProcess : IAsyncDisposable
{
    const string IndentToken = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJiZW5jaEBhY21lLnRlc3QifQ.YmVuY2g";
    readonly Process process;
    readonly FileUserDirectory log;
    readonly ConcurrentDictionary<string, TaskCompletionSource<DateTimeOffset>> resets = new(StringComparer.Ordinal);
    readonly CancellationTokenSource stop = new();
    readonly Task tail;
    readonly ConcurrentQueue<string> lastLines = new();
    volatile bool portTaken;

    HostProcess(Process process, string dataDirectory, int port)
    {
        this.process = process;
        DataDirectory = dataDirectory;
        log = new FileUserDirectory(dataDirectory, TimeProvider.System);
        Api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromMinutes(5) };
        Indent = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/indent/"), Timeout = TimeSpan.FromMinutes(5) };
        Indent.DefaultRequestHeaders.Authorization = new("Bearer", IndentToken);
        tail = Task.Run(TailAsync);
    }

    public HttpClient Api { get; }

    /// <summary>The host's process id (for <see cref="HostProfile"/>).</summary>
    public int ProcessId => process.Id;

    /// <summary>CPU time the host process has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }
    }

    /// <summary>Starts counting the CPU the host and this process (the load generator) use from now on.</summary>
    public CpuWindow StartCpuWindow() => new(this, CpuTime, Process.GetCurrentProcess().TotalProcessorTime);

    /// <summary>CPU seconds used by the host and by the load generator since the window started.</summary>
    public sealed record CpuWindow(HostProcess Host, TimeSpan HostAtStart, TimeSpan LoadAtStart)
    {
        public (double Host, double Load) Seconds() =>
            ((Host.CpuTime - HostAtStart).TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - LoadAtStart).TotalSeconds);
    }

    /// <summary>The emulator: its Indent API under <c>v1/</c>, its admin API under <c>_admin/</c>.</summary>
    public HttpClient Indent { get; }

    public string DataDirectory { get; }

    /// <summary>Starts the host on a free port and waits until it is healthy. The port is picked here and bound by the
    /// host a moment later; when another process took it in between (seen in CI, with test projects running side by
    /// side), the host exits with "address already in use" and is started again on another port, as the local host
    /// itself does (<see cref="Local.Hosting.FreePorts.StartAsync{T}"/>).</summary>
    public static Task<HostProcess> StartAsync(Dictionary<string, string?> settings, IEnumerable<string> users)
    {
        var people = users.ToList();
        return Local.Hosting.FreePorts.StartAsync(() => StartOnceAsync(settings, people));
    }

    /// <summary>The host process exited because its port was taken: carries the socket error the retry recognises.</summary>
    sealed class PortTakenException(string message)
        : InvalidOperationException(message, new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.AddressAlreadyInUse));

    static async Task<HostProcess> StartOnceAsync(Dictionary<string, string?> settings, IEnumerable<string> users)
    {
        var data = Path.Combine(Path.GetTempPath(), "approvals-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        FileUserDirectory.AddPeople(data, users.Select(u => new LocalPerson(u, u, u + "@local")));
        var port = Local.Hosting.FreePorts.Pick(System.Net.IPAddress.Loopback);
        var dll = Path.Combine(AppContext.BaseDirectory, "approvals-local.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { dll, "serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-dir", data })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["INDENT_API_TOKEN"] = IndentToken;
        info.Environment["INDENT_WEBHOOK_SECRET"] = "whsec_bench_0123456789";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (k, v) in settings)
        {
            info.Environment[k] = v;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the host process");
        var host = new HostProcess(process, data, port);
        process.OutputDataReceived += (_, e) => host.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => host.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited || clock.Elapsed > TimeSpan.FromMinutes(1))
            {
                // Read before the dispose: a disposed Process answers nothing about its process.
                var exited = process.HasExited;
                var why = exited ? $"exited with {process.ExitCode}" : "not healthy within a minute";
                await host.DisposeAsync();
                var message = $"the host process {why}: {string.Join(" | ", host.lastLines)}";
                throw exited && host.portTaken
                    ? new PortTakenException(message)
                    : new InvalidOperationException(message);
            }

            try
            {
                using var health = await host.Api.GetAsync("api/health");
                if (health.IsSuccessStatusCode)
                {
                    break;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        // The caller is a person of the directory (the API answers no one else).
        Local.Actions.FileUserDirectory.EnsurePerson(data, "bench@local");
        var token = Local.Identity.LocalIssuer.Open(data).Mint("bench@local", [Core.Identity.ApprovalsRoles.Request], TimeSpan.FromHours(8), DateTimeOffset.UtcNow);
        host.Api.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return host;
    }

    void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (line.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            portTaken = true;
        }

        lastLines.Enqueue(line);
        while (lastLines.Count > 5)
        {
            lastLines.TryDequeue(out _);
        }
    }

    /// <summary>Reads the directory's log as the host appends to it, and completes the wait of each user reset.</summary>
    async Task TailAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                foreach (var (id, user) in log.All())
                {
                    if (user.LastResetAt is { } at && resets.TryGetValue(id, out var waiting))
                    {
                        waiting.TrySetResult(at);
                    }
                }
            }
            catch (IOException)
            {
            }

            try
            {
                await Task.Delay(5, stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>When the user's password was set, by the directory's log.</summary>
    public Task<DateTimeOffset> ResetAsync(string user) => resets.GetOrAdd(user, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public async Task<string> StartApprovalAsync(string user)
    {
        using var response = await Api.PostAsJsonAsync("api/password-resets", new PasswordResetBody { UserId = user, Reason = "benchmark" }, ApiJsonContext.Default.PasswordResetBody);
        if (response.StatusCode != System.Net.HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"start failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return (await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.StartedResponse))!.Id;
    }

    public async Task AdminPutAsync(string what, string json)
    {
        using var response = await Indent.PutAsync("_admin/" + what, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }

    /// <summary>The emulator's Indent API calls so far, by kind.</summary>
    public async Task<Dictionary<string, long>> CallsAsync()
    {
        using var stats = JsonDocument.Parse(await Indent.GetStringAsync("_admin/stats"));
        return stats.RootElement.GetProperty("apiCalls").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64(), StringComparer.Ordinal);
    }

    /// <summary>For each petition, when the emulator first sent a decision webhook (approve or grant).</summary>
    public async Task<Dictionary<string, DateTimeOffset>> DecisionWebhooksSentAsync()
    {
        using var doc = JsonDocument.Parse(await Indent.GetStringAsync("_admin/deliveries"));
        var sent = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var d in doc.RootElement.GetProperty("deliveries").EnumerateArray())
        {
            var type = d.GetProperty("eventType").GetString() ?? "";
            if (!d.TryGetProperty("petition", out var p) || p.GetString() is not { } petition || !(type.Contains("access/approve", StringComparison.Ordinal) || type.Contains("access/grant", StringComparison.Ordinal)))
            {
                continue;
            }

            foreach (var attempt in d.GetProperty("attempts").EnumerateArray())
            {
                if (attempt.TryGetProperty("sentAt", out var s) && s.ValueKind == JsonValueKind.String && s.GetDateTimeOffset() is var at && (!sent.TryGetValue(petition, out var known) || at < known))
                {
                    sent[petition] = at;
                }
            }
        }

        return sent;
    }

    /// <summary>For the approvals that acted (user → approval id): decision webhook → reset and approval → reset, in
    /// milliseconds, sorted; from the emulator's delivery log and petitions and the directory's log.</summary>
    public async Task<(double[] FromWebhook, double[] FromDecision)> LatenciesAsync(IReadOnlyDictionary<string, string> ids)
    {
        var sent = await DecisionWebhooksSentAsync();
        var fromWebhook = new List<double>();
        var fromDecision = new List<double>();
        foreach (var (user, id) in ids)
        {
            if (!ResetAsync(user).IsCompletedSuccessfully || await DecisionAsync(id) is not { } decision)
            {
                continue;
            }

            var actedAt = ResetAsync(user).Result;
            fromDecision.Add((actedAt - decision.ApprovedAt).TotalMilliseconds);
            if (sent.TryGetValue(decision.Petition, out var webhookAt))
            {
                fromWebhook.Add((actedAt - webhookAt).TotalMilliseconds);
            }
        }

        return ([.. fromWebhook.Order()], [.. fromDecision.Order()]);
    }

    /// <summary>The approval's petition (<c>space/name</c>) once it exists, read through the public API.</summary>
    public async Task<string> PetitionAsync(string id, TimeSpan bound)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using (var view = JsonDocument.Parse(await Api.GetStringAsync($"api/approvals/{id}")))
            {
                if (view.RootElement.TryGetProperty("petition", out var p) && p.GetString() is { } petition)
                {
                    return petition;
                }
            }

            if (clock.Elapsed > bound)
            {
                throw new TimeoutException($"approval {id} had no petition within {bound.TotalSeconds:0} s");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Approves a petition (<c>space/name</c>) as its reviewer — a person of the directory, with the Indent token
    /// the emulator issues them (a grant by the service account's own token is refused by four eyes) — over the emulator's
    /// Indent API.</summary>
    public async Task ApproveAsync(string petition)
    {
        var (space, name) = SplitPetition(petition);
        reviewerToken ??= await ReviewerTokenAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1/spaces/{space}/petitions/{name}/claims")
        {
            Content = new StringContent("""{"claim":{"event":"access/approve","reason":"benchmark"}}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", reviewerToken);
        using var response = await Indent.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>The reviewer of every benchmark approval (seeded in the local directory; never the requester or a target).</summary>
    public const string Reviewer = "bob@local";

    string? reviewerToken;

    async Task<string> ReviewerTokenAsync()
    {
        using var response = await Indent.PostAsync("_admin/tokens", new StringContent($$"""{"email":"{{Reviewer}}"}""", System.Text.Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("token").GetString()!;
    }

    static (string Space, string Name) SplitPetition(string petition) => petition.Contains('/', StringComparison.Ordinal)
        ? (petition[..petition.IndexOf('/', StringComparison.Ordinal)], petition[(petition.LastIndexOf('/') + 1)..])
        : ("local", petition);

    /// <summary>The approval's petition and when Indent (the emulator) recorded its approval.</summary>
    public async Task<(string Petition, DateTimeOffset ApprovedAt)?> DecisionAsync(string id)
    {
        using var view = JsonDocument.Parse(await Api.GetStringAsync($"api/approvals/{id}"));
        if (view.RootElement.GetProperty("petition").GetString() is not { } petition)
        {
            return null;
        }

        var (space, name) = SplitPetition(petition);
        using var doc = JsonDocument.Parse(await Indent.GetStringAsync($"v1/spaces/{space}/petitions/{name}"));
        foreach (var e in doc.RootElement.GetProperty("state").GetProperty("eventHistory").EnumerateArray())
        {
            if (e.GetProperty("event").GetString() == "access/approve")
            {
                return (name, e.GetProperty("timestamp").GetDateTimeOffset());
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await tail;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        Api.Dispose();
        Indent.Dispose();
        stop.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
