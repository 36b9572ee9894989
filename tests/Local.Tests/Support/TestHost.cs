using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Approvals.Core.Indent;
using Approvals.Core.Webhooks;
using Approvals.Local.Actions;
using Approvals.Local.Emulator;
using Approvals.Local.Hosting;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Approvals.Local.Tests.Support;

/// <summary>Captures every log line the host writes, so tests can scan them for secrets.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}

/// <summary>A real local host in this process, on a free loopback port, with fast polling, a private data
/// directory and captured logs. Tests drive it over HTTP like any client would.</summary>
public sealed class TestHost : IAsyncDisposable
{
    public const string Token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ3b3JrZmxvd0BhY21lLnRlc3QifQ.dGVzdC10b2tlbi1kby1ub3QtbGVhaw";
    public const string WebhookSecret = "whsec_test_secret_do_not_leak_0123456789";

    public RunningHost Host { get; }
    public HttpClient Http { get; }
    public CapturingLoggerProvider Logs { get; }
    public string DataDirectory { get; }

    TestHost(RunningHost host, CapturingLoggerProvider logs, string dataDirectory)
    {
        Host = host;
        Logs = logs;
        DataDirectory = dataDirectory;
        Http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.MintToken(Caller, Core.Identity.ApprovalsRoles.All, TimeSpan.FromHours(4)));
    }

    /// <summary>Who <see cref="Http"/> is: a helpdesk member holding every app role.</summary>
    public const string Caller = "helpdesk@local";

    /// <summary>The caller's object id in the local directory (the token's <c>oid</c>, which keys ownership and idempotency).</summary>
    public const string CallerId = "helpdesk";

    /// <summary>An API client acting as <paramref name="email"/> with <paramref name="roles"/> (default: Approvals.Request).</summary>
    public HttpClient As(string email, params string[] roles)
    {
        // A caller in Azure is a person of the tenant: make them one of the local directory first.
        FileUserDirectory.EnsurePerson(DataDirectory, email);
        var client = new HttpClient { BaseAddress = Host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Host.MintToken(email, roles.Length == 0 ? [Core.Identity.ApprovalsRoles.Request] : roles));
        return client;
    }

    public static async Task<TestHost> StartAsync(Dictionary<string, string?>? settings = null, double? autoApprove = null, string? dataDirectory = null, TimeProvider? time = null, Action<Microsoft.DurableTask.DurableTaskRegistry>? addTasks = null)
    {
        var data = dataDirectory ?? Path.Combine(Path.GetTempPath(), "approvals-tests", Guid.NewGuid().ToString("N"));
        var all = new Dictionary<string, string?>
        {
            [IndentOptions.TokenSetting] = Token,
            [IndentWebhookEndpoint.SecretSetting] = WebhookSecret,
            [IndentOptions.SpaceSetting] = "acme",
            ["APPROVALS_POLL_INITIAL_SECONDS"] = "1",
            ["APPROVALS_POLL_MAX_SECONDS"] = "2",
        };
        foreach (var (k, v) in settings ?? [])
        {
            all[k] = v;
        }

        // The test's callers are people of the local directory, as an API caller in Azure is a person of the tenant.
        Actions.FileUserDirectory.EnsurePerson(data, Caller);

        var logs = new CapturingLoggerProvider();
        var host = await LocalHost.StartAsync(new LocalHostOptions
        {
            Port = 0,
            DataDirectory = data,
            AutoApproveSeconds = autoApprove,
            TimeProvider = time,
            AddTasks = addTasks,
            LogLevel = LogLevel.Information,
            Configuration = new ConfigurationBuilder().AddInMemoryCollection(all).Build(),
            ConfigureLogging = b =>
            {
                b.ClearProviders();
                b.AddProvider(logs);
                b.SetMinimumLevel(LogLevel.Trace);
                // The retry pipeline's lines are quiet on the console, but the secret scans read them too.
                b.AddFilter("Polly", LogLevel.Trace);
            },
        });
        return new TestHost(host, logs, data);
    }

    public IndentEmulator Emulator => Host.Services.GetRequiredService<IndentEmulator>();
    public FaultInjector Faults => Host.Services.GetRequiredService<FaultInjector>();
    public WebhookDispatcher Dispatcher => Host.Services.GetRequiredService<WebhookDispatcher>();
    public DurableTaskClient Durable => Host.Services.GetRequiredService<DurableTaskClient>();
    public FileUserDirectory Users => Host.Services.GetRequiredService<FileUserDirectory>();
    public IndentClient Indent => Host.Services.GetRequiredService<IndentClient>();

    /// <summary>An HTTP client for the emulator's API and admin routes, with the bearer token.</summary>
    public HttpClient IndentHttp()
    {
        var client = new HttpClient { BaseAddress = Host.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
