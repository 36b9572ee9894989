using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace Approvals.EndToEnd.Tests.Support;

public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Configuration { get; } = typeof(Repo).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;

    /// <summary>The built local host, run as its own process exactly as a user runs it.</summary>
    public static string HostDll => Path.Combine(Root, "src", "Local", "bin", Configuration, "net10.0", "approvals-local.dll");

    public static string NodeModules => Path.Combine(Root, "tests", "node", "node_modules");

    public static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "approvals-e2e", Guid.NewGuid().ToString("N"));

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Approvals.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Approvals.sln not found.");
    }
}

/// <summary>Settings every end-to-end host gets, so tests know the credentials the emulator accepts and signs with.</summary>
public static class TestSettings
{
    public const string Token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJlMmVAYWNtZS50ZXN0In0.ZTJlLXRva2VuLW5vdC1mb3ItbG9ncw";
    public const string WebhookSecret = "whsec_e2e_secret_0123456789abcdef";

    public static Dictionary<string, string> Environment(string dataDirectory, Dictionary<string, string>? extra = null)
    {
        var env = new Dictionary<string, string>
        {
            ["INDENT_API_TOKEN"] = Token,
            ["INDENT_WEBHOOK_SECRET"] = WebhookSecret,
            ["APPROVALS_DATA_DIR"] = dataDirectory,
            ["APPROVALS_POLL_INITIAL_SECONDS"] = "1",
            ["APPROVALS_POLL_MAX_SECONDS"] = "2",
        };
        foreach (var (k, v) in extra ?? [])
        {
            env[k] = v;
        }

        return env;
    }
}

/// <summary>The local host as a separate process (<c>approvals-local serve</c>), driven only from outside.</summary>
public sealed class HostProcess : IAsyncDisposable
{
    readonly Process process;
    readonly StringBuilder output = new();

    HostProcess(Process process, Uri baseAddress, string dataDirectory)
    {
        this.process = process;
        BaseAddress = baseAddress;
        DataDirectory = dataDirectory;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token(Caller, Core.Identity.ApprovalsRoles.All));
    }

    /// <summary>Who <see cref="Http"/> is: a helpdesk member holding every app role.</summary>
    public const string Caller = "helpdesk@local";

    /// <summary>The inbox's sign-in link, as <c>serve</c> prints it (the token lives in the data directory).</summary>
    public Uri Inbox => Local.Inbox.InboxSession.Open(DataDirectory).Link(BaseAddress);

    /// <summary>The inbox's session cookie, as a browser holds it after opening <see cref="Inbox"/>.</summary>
    public string InboxCookie => $"{Local.Inbox.InboxSession.CookieName}={Local.Inbox.InboxSession.Open(DataDirectory).Token}";

    /// <summary>A token from the host's own issuer (its key in the data directory), as <c>approvals-local token</c> prints.
    /// Whoever it is for is made a person of the local directory first, as an API caller in Azure is a person of the tenant.</summary>
    public string Token(string email, IEnumerable<string> roles)
    {
        Local.Actions.FileUserDirectory.EnsurePerson(DataDirectory, email);
        return Local.Identity.LocalIssuer.Open(DataDirectory).Mint(email, roles, TimeSpan.FromHours(4), DateTimeOffset.UtcNow);
    }

    /// <summary>The CLI's environment against this host: its data directory, and a requester's token in APPROVALS_TOKEN.</summary>
    public Dictionary<string, string> CliEnvironment(string requester = "requester@local") =>
        TestSettings.Environment(DataDirectory, new() { ["APPROVALS_TOKEN"] = Token(requester, [Core.Identity.ApprovalsRoles.Request]) });

    /// <summary>Adds users to the host's local directory (a running host sees them at once).</summary>
    public void Know(params string[] userIds) =>
        Local.Actions.FileUserDirectory.AddPeople(DataDirectory, userIds.Select(id => new Local.Actions.LocalPerson(id, id, id + "@local")));

    public Uri BaseAddress { get; }
    public string DataDirectory { get; }
    public HttpClient Http { get; }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public static Task<HostProcess> StartAsync(string dataDirectory, Dictionary<string, string>? extraEnvironment = null, int? port = null, params string[] extraArgs) =>
        StartBuildAsync(Repo.HostDll, dataDirectory, extraEnvironment, port, extraArgs);

    /// <summary>Starts the host built at <paramref name="hostDll"/> (another commit's build, for upgrade tests).</summary>
    public static async Task<HostProcess> StartBuildAsync(string hostDll, string dataDirectory, Dictionary<string, string>? extraEnvironment = null, int? port = null, params string[] extraArgs)
    {
        var chosen = port ?? Repo.FreePort();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { hostDll, "serve", "--port", chosen.ToString(System.Globalization.CultureInfo.InvariantCulture) }.Concat(extraArgs))
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (k, v) in TestSettings.Environment(dataDirectory, extraEnvironment))
        {
            info.Environment[k] = v;
        }

        var process = Process.Start(info)!;
        var host = new HostProcess(process, new Uri($"http://127.0.0.1:{chosen}/"), dataDirectory);
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The host exited with {process.ExitCode}:\n{host.Output}");
            }

            try
            {
                using var health = await host.Http.GetAsync("api/health");
                if (health.IsSuccessStatusCode)
                {
                    return host;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("The host did not answer /api/health within 60 s:\n" + host.Output);
    }

    void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    /// <summary>An HTTP client for the emulator's API and admin routes.</summary>
    public HttpClient IndentHttp()
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestSettings.Token);
        return client;
    }

    /// <summary>An HTTP client for the emulator's Indent API as <paramref name="person"/>, with the Indent token the
    /// emulator issues people (claims made with it carry that person as the actor).</summary>
    public async Task<HttpClient> IndentHttpAsAsync(string person)
    {
        using var admin = IndentHttp();
        using var issued = await admin.PostAsync("indent/_admin/tokens", new StringContent($$"""{"email":"{{person}}"}""", Encoding.UTF8, "application/json"));
        issued.EnsureSuccessStatusCode();
        using var doc = System.Text.Json.JsonDocument.Parse(await issued.Content.ReadAsStringAsync());
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", doc.RootElement.GetProperty("token").GetString());
        return client;
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing, as a crash. Returns the process's own exit status (137, 128 +
    /// SIGKILL's 9, when the kill is what ended it), or null when it had not exited within 10 s.</summary>
    public int? Kill()
    {
        process.Kill(entireProcessTree: true);
        return process.WaitForExit(10_000) ? process.ExitCode : null;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }
}

/// <summary>Runs the CLI as a child process and captures what it prints.</summary>
public static class Cli
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
    }

    public static async Task<Result> RunAsync(Dictionary<string, string> environment, TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, StandardOutputEncoding = Encoding.UTF8 };
        info.ArgumentList.Add(Repo.HostDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (k, v) in environment)
        {
            info.Environment[k] = v;
        }

        var (code, stdout, stderr) = await RunToEndAsync(info, timeout, "CLI");
        return new Result(code, stdout, stderr);
    }

    /// <summary>Runs <paramref name="info"/> to its end, bounded by <paramref name="timeout"/>: then it is killed (with
    /// its children) and a <see cref="TimeoutException"/> carries what it printed.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunToEndAsync(ProcessStartInfo info, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(info);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what} did not finish within {timeout}:\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
