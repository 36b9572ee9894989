using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Approvals.Core;
using Approvals.Core.Actions;
using Approvals.Core.Http;
using Approvals.Core.Indent;
using Approvals.Core.Webhooks;
using Approvals.Core.Workflow;
using Approvals.Local.Actions;
using Approvals.Local.Emulator;
using Approvals.Local.Engine;
using Approvals.Local.Inbox;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Approvals.Local.Hosting;

/// <summary>How to run the local host.</summary>
public sealed class LocalHostOptions
{
    public const string DataDirectorySetting = "APPROVALS_DATA_DIR";

    /// <summary>0 picks a free port.</summary>
    public int Port { get; set; } = 7071;
    public IPAddress BindAddress { get; set; } = IPAddress.Loopback;
    public string? DataDirectory { get; set; }

    /// <summary>When set, the emulator approves every petition after this many seconds.</summary>
    public double? AutoApproveSeconds { get; set; }

    /// <summary>Keep the emulator's petitions and webhook queue in SQLite. Default: with an explicit data directory or
    /// on the Azure Storage engine (so a restart loses nothing); otherwise in memory.</summary>
    public bool? PersistEmulator { get; init; }

    /// <summary>Emulator auto-decision rules, in order (the first match decides).</summary>
    public List<DecisionRule> Rules { get; init; } = [];

    /// <summary>Log level for the console (the CLI keeps it quiet).</summary>
    public LogLevel LogLevel { get; set; } = LogLevel.Information;

    public IConfiguration? Configuration { get; set; }

    /// <summary>Extra logging (tests capture every line to scan it for secrets).</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; set; }
}

/// <summary>A running local host: API, emulator, inbox and durable engine in one process.</summary>
public sealed class RunningHost(WebApplication app, DurableEngine engine, Uri baseAddress, bool emulated, string engineDescription, string dataDirectory, string? generatedSecretsFile) : IAsyncDisposable
{
    public WebApplication App { get; } = app;
    public Uri BaseAddress { get; } = baseAddress;
    public bool Emulated { get; } = emulated;
    public string EngineDescription { get; } = engineDescription;
    public string DataDirectory { get; } = dataDirectory;
    public string? GeneratedSecretsFile { get; } = generatedSecretsFile;
    public Uri Inbox => new(BaseAddress, "inbox");
    public Uri Api => new(BaseAddress, "api/");
    public Uri IndentApi => new(BaseAddress, "indent/v1");
    public IServiceProvider Services => App.Services;

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        await engine.DisposeAsync();
    }
}

/// <summary>Builds the local host: the same Core code as the Functions app, on the embedded engine, with the
/// Indent emulator (unless real Indent is configured), the approver inbox and local stand-ins for Entra and Key Vault.</summary>
public static class LocalHost
{
    public const string AttemptTimeoutSetting = "APPROVALS_INDENT_ATTEMPT_TIMEOUT_SECONDS";

    public static async Task<RunningHost> StartAsync(LocalHostOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var configuration = options.Configuration ?? new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var port = options.Port == 0 ? FreePort(options.BindAddress) : options.Port;
        var baseAddress = new Uri($"http://{(options.BindAddress.Equals(IPAddress.Any) ? "127.0.0.1" : options.BindAddress.ToString())}:{port}/");
        var durable = !string.IsNullOrWhiteSpace(configuration[EngineOptions.StorageSetting]);
        var dataDirectory = options.DataDirectory ?? configuration[LocalHostOptions.DataDirectorySetting] ?? DefaultDataDirectory();
        OwnerOnly.Directory(dataDirectory);

        // Real Indent when INDENT_BASE_URL points elsewhere; otherwise the emulator, with generated credentials if none are given.
        var configuredBase = configuration[IndentOptions.BaseUrlSetting];
        var emulated = string.IsNullOrWhiteSpace(configuredBase) || configuredBase.StartsWith(new Uri(baseAddress, "indent/").ToString(), StringComparison.OrdinalIgnoreCase);
        var overrides = new Dictionary<string, string?>();
        string? generatedFile = null;
        if (emulated)
        {
            var (token, secret, file) = LocalSecrets(configuration, dataDirectory);
            generatedFile = file;
            overrides[IndentOptions.BaseUrlSetting] = new Uri(baseAddress, "indent/v1").ToString();
            overrides[IndentOptions.SpaceSetting] = configuration[IndentOptions.SpaceSetting] is { Length: > 0 } s ? s : "local";
            overrides[IndentOptions.TokenSetting] = token;
            overrides[IndentWebhookEndpoint.SecretSetting] = secret;
        }

        var merged = new ConfigurationBuilder().AddConfiguration(configuration).AddInMemoryCollection(overrides).Build();
        var loggerFactory = LoggerFactory.Create(b =>
        {
            b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }).SetMinimumLevel(options.LogLevel)
                .AddFilter("Microsoft", LogLevel.Warning).AddFilter("System.Net.Http", LogLevel.Warning).AddFilter("DurableTask", LogLevel.Warning).AddFilter("Grpc", LogLevel.Warning);
            options.ConfigureLogging?.Invoke(b);
        });
        var engine = await DurableEngine.StartAsync(new EngineOptions
        {
            StorageConnectionString = durable ? configuration[EngineOptions.StorageSetting] : null,
            TaskHub = configuration[EngineOptions.TaskHubSetting] is { Length: > 0 } hub ? hub : "approvals",
            MaxQueuePollingInterval = PositiveInt(configuration, EngineOptions.QueuePollingSetting) is { } pollMs ? TimeSpan.FromMilliseconds(pollMs) : TimeSpan.FromSeconds(1),
            VisibilityTimeout = PositiveInt(configuration, EngineOptions.VisibilityTimeoutSetting) is { } visibility ? TimeSpan.FromSeconds(visibility) : TimeSpan.FromSeconds(30),
        }, loggerFactory, cancellationToken);

        try
        {
            // Content root in the build output: no appsettings file watchers over whatever directory we were started in.
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
            builder.Configuration.AddConfiguration(merged);
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton(loggerFactory);
            builder.WebHost.ConfigureKestrel(k => k.Listen(options.BindAddress, port));
            builder.Services.AddApprovalsCore(merged, indent =>
            {
                // Local knob for outage tests and benchmarks: how long one Indent call may take.
                if (PositiveInt(merged, AttemptTimeoutSetting) is { } seconds)
                {
                    indent.Retry.AttemptTimeout = TimeSpan.FromSeconds(seconds);
                }
            });
            builder.Services.AddSingleton(engine);
            builder.Services.Replace(ServiceDescriptor.Singleton<IApprovalHistorySource, EngineHistorySource>());
            var latency = PositiveInt(merged, FileUserDirectory.LatencySetting) is { } ms ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;
            var users = new FileUserDirectory(dataDirectory, TimeProvider.System, latency);
            var credentials = new FileCredentialStore(Path.Combine(dataDirectory, "secrets"));
            builder.Services.AddSingleton(users);
            builder.Services.AddSingleton<IUserDirectory>(users);
            builder.Services.AddSingleton(credentials);
            builder.Services.AddSingleton<ICredentialStore>(credentials);
            builder.Services.AddDurableTaskWorker(worker =>
            {
                worker.UseGrpc(engine.Channel);
                worker.Configure(o =>
                {
                    o.Concurrency.MaximumConcurrentOrchestrationWorkItems = 1000;
                    o.Concurrency.MaximumConcurrentActivityWorkItems = 1000;
                });
                worker.AddTasks(tasks =>
                {
                    tasks.AddOrchestrator<ApprovalOrchestrator>();
                    tasks.AddActivity<CreatePetitionActivity>();
                    tasks.AddActivity<GetPetitionActivity>();
                    tasks.AddActivity<ClosePetitionActivity>();
                    tasks.AddActivity<ResetPasswordActivity>();
                });
            });
            builder.Services.AddDurableTaskClient(client =>
            {
                client.UseGrpc(engine.Channel);
                client.RegisterDirectly();
            });

            if (emulated)
            {
                var emulatorOptions = new EmulatorOptions
                {
                    Space = merged[IndentOptions.SpaceSetting]!,
                    DataDirectory = options.PersistEmulator ?? (durable || options.DataDirectory is not null || configuration[LocalHostOptions.DataDirectorySetting] is not null)
                        ? Path.Combine(dataDirectory, "indent")
                        : null,
                };
                emulatorOptions.Tokens.Add(merged[IndentOptions.TokenSetting]!);
                emulatorOptions.WebhookSecrets.Add(merged[IndentWebhookEndpoint.SecretSetting]!.Split(',')[0].Trim());
                emulatorOptions.WebhookUrls.Add(new Uri(baseAddress, "api/webhooks/indent"));
                emulatorOptions.Rules.AddRange(options.Rules);
                if (options.AutoApproveSeconds is { } after)
                {
                    emulatorOptions.Rules.Add(new DecisionRule("*", DecisionRule.Approve, after));
                }

                builder.Services.AddSingleton(emulatorOptions);
                builder.Services.AddSingleton<IndentEmulator>();
                builder.Services.AddSingleton<FaultInjector>();
                builder.Services.AddSingleton<WebhookDispatcher>();
                builder.Services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
                builder.Services.AddHttpClient(nameof(WebhookDispatcher));
                // Inbox form tokens live as long as the process: nothing to persist, nothing to leak.
                builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
                builder.Services.AddAntiforgery(o =>
                {
                    o.Cookie.Name = "approvals-inbox-csrf";
                    o.FormFieldName = "csrf";
                });
            }

            var app = builder.Build();
            MapApi(app);
            if (emulated)
            {
                app.MapIndentEmulator();
                app.MapInbox();
                app.MapGet("/", () => Results.Redirect("/inbox"));
            }

            await app.StartAsync(cancellationToken);
            return new RunningHost(app, engine, baseAddress, emulated, engine.Description, dataDirectory, generatedFile);
        }
        catch
        {
            await engine.DisposeAsync();
            throw;
        }
    }

    static void MapApi(WebApplication app)
    {
        var api = app.MapGroup("/api");
        api.MapPost("/password-resets", (HttpRequest request, ApprovalsApi handler, DurableTaskClient client, CancellationToken ct) => handler.StartPasswordResetAsync(request, client, ct));
        api.MapGet("/approvals/{id}", (string id, ApprovalsApi handler, DurableTaskClient client, CancellationToken ct) => handler.GetStatusAsync(id, client, ct));
        api.MapPost("/approvals/{id}/cancel", (string id, HttpRequest request, ApprovalsApi handler, DurableTaskClient client, CancellationToken ct) => handler.CancelAsync(id, request, client, ct));
        api.MapGet("/approvals/{id}/history", (string id, ApprovalsApi handler, DurableTaskClient client, CancellationToken ct) => handler.GetHistoryAsync(id, client, ct));
        api.MapPost("/webhooks/indent", (HttpRequest request, IndentWebhookEndpoint webhook, DurableTaskClient client, CancellationToken ct) => webhook.HandleAsync(request, client, ct));
        api.MapGet("/health", () => Results.Json(new { status = "ok" }));
        api.MapFallback(() => ApprovalsApi.Problem(StatusCodes.Status404NotFound, "Not found", "There is no such API route; see the README's HTTP API table."));
    }

    /// <summary>The Indent token and webhook secret for the emulator: from configuration when given, else generated
    /// once and kept (owner-only) in the data directory so restarts keep verifying.</summary>
    static (string Token, string Secret, string? File) LocalSecrets(IConfiguration configuration, string dataDirectory)
    {
        var token = configuration[IndentOptions.TokenSetting];
        var secret = configuration[IndentWebhookEndpoint.SecretSetting];
        if (!string.IsNullOrWhiteSpace(token) && !string.IsNullOrWhiteSpace(secret))
        {
            return (token.Trim(), secret.Trim(), null);
        }

        var file = Path.Combine(dataDirectory, "local-secrets.json");
        Dictionary<string, string> stored = File.Exists(file)
            ? JsonSerializer.Deserialize(File.ReadAllText(file), LocalHostJsonContext.Default.DictionaryStringString) ?? []
            : [];
        if (!stored.ContainsKey(IndentOptions.TokenSetting))
        {
            static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            stored[IndentOptions.TokenSetting] = $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{B64("{\"sub\":\"local-dev@approvals.local\"}")}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24))}";
        }

        if (!stored.ContainsKey(IndentWebhookEndpoint.SecretSetting))
        {
            stored[IndentWebhookEndpoint.SecretSetting] = "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        }

        OwnerOnly.WriteAtomically(file, JsonSerializer.Serialize(stored, LocalHostJsonContext.Default.DictionaryStringString));
        return (string.IsNullOrWhiteSpace(token) ? stored[IndentOptions.TokenSetting] : token.Trim(),
                string.IsNullOrWhiteSpace(secret) ? stored[IndentWebhookEndpoint.SecretSetting] : secret.Trim(),
                file);
    }

    /// <summary>A local tuning knob: a positive whole number, or <c>null</c> (unset or not a positive number: the default applies).</summary>
    static int? PositiveInt(IConfiguration configuration, string setting) =>
        int.TryParse(configuration[setting], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0 ? value : null;

    public static string DefaultDataDirectory()
    {
        var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        var root = string.IsNullOrEmpty(state) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state") : state;
        return Path.Combine(root, "approvals-local");
    }

    static int FreePort(IPAddress address)
    {
        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class LocalHostJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
