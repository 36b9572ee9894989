using System.Net;
using System.Runtime.CompilerServices;
using Approvals.Core;
using Approvals.Core.Actions;
using Approvals.Core.Http;
using Approvals.Core.Identity;
using Approvals.Core.Indent;
using Approvals.Core.Secrets;
using Approvals.Core.Settings;
using Approvals.Core.Webhooks;
using Approvals.Core.Workflow;
using Approvals.Local.Actions;
using Approvals.Local.Emulator;
using Approvals.Local.Engine;
using Approvals.Local.Graph;
using Approvals.Local.Identity;
using Approvals.Local.Inbox;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Approvals.Local.Hosting;

/// <summary>Builds the local host: the same Core code as the Functions app, on the embedded engine, with the
/// Indent emulator (unless real Indent is configured), the approver inbox and local stand-ins for Entra and Key Vault.</summary>
public static class LocalHost
{
    /// <summary>Starts the host. Ports it picks (the API's when <see cref="LocalHostOptions.Port"/> is 0, and always the
    /// engine's loopback port) are picked again when another process took one before it was bound.</summary>
    /// <remarks>What stops it is said in one line naming the cause and the setting (<see cref="StartupException"/>,
    /// settings errors): a port given and taken, storage that is malformed or unreachable, a secret missing.</remarks>
    public static Task<RunningHost> StartAsync(LocalHostOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Port != 0 && !FreePorts.IsFree(options.BindAddress, options.Port))
        {
            // A port the user chose is not picked again: say so at once (not after three tries and three stack traces).
            throw new StartupException($"port {options.Port} on {options.BindAddress} is in use (--port): another program, perhaps another approvals-local serve, listens there; stop it, or choose another port with --port.");
        }

        return FreePorts.StartAsync(() => StartOnceAsync(options, cancellationToken));
    }

    static async Task<RunningHost> StartOnceAsync(LocalHostOptions options, CancellationToken cancellationToken)
    {
        var configuration = options.Configuration ?? new ConfigurationBuilder().AddEnvironmentVariables().Build();
        // Settings read before the host exists are read, and refused, the same way as the ones bound inside it.
        var settings = Settings.Read<LocalHostSettings>(configuration);
        var engineOptions = Settings.Read<EngineOptions>(configuration);
        if (engineOptions.StorageConnectionString is { } storage)
        {
            await StorageCheck.CheckReachableAsync(storage, cancellationToken);
        }

        var port = options.Port == 0 ? FreePorts.Pick(options.BindAddress) : options.Port;
        var baseAddress = new Uri($"http://{(options.BindAddress.Equals(IPAddress.Any) ? "127.0.0.1" : options.BindAddress.ToString())}:{port}/");
        var dataDirectory = options.DataDirectory ?? settings.DataDirectory ?? DefaultDataDirectory();
        OwnerOnly.Directory(dataDirectory);
        engineOptions.FaultPointDirectory = Path.Combine(dataDirectory, FaultPoints.Directory);
        FileUserDirectory.Seed(dataDirectory);
        FileUserDirectory.EnsurePerson(dataDirectory, LocalIssuer.DefaultPerson());

        // Real Indent when INDENT_BASE_URL points elsewhere; otherwise the emulator, with generated credentials if none are given.
        var configuredBase = configuration[IndentOptions.BaseUrlSetting];
        var emulated = string.IsNullOrWhiteSpace(configuredBase) || configuredBase.StartsWith(new Uri(baseAddress, "indent/").ToString(), StringComparison.OrdinalIgnoreCase);
        var (overrides, generatedFile) = LocalSecrets.Resolve(configuration, dataDirectory, emulated);
        if (emulated)
        {
            overrides[IndentOptions.BaseUrlSetting] = new Uri(baseAddress, "indent/v1").ToString();
            overrides[IndentOptions.SpaceSetting] = configuration[IndentOptions.SpaceSetting] is { Length: > 0 } s ? s : "local";
            if (string.IsNullOrWhiteSpace(configuration[Core.Workflow.AccessOptions.GroupsSetting]))
            {
                // The emulator's requestable "Production", granted as a local group.
                overrides[Core.Workflow.AccessOptions.GroupsSetting] = $"{IndentEmulator.ProductionResource}={FileGroups.ProductionGroup}";
            }

            if (string.IsNullOrWhiteSpace(configuration[Core.People.FourEyesOptions.AutoApproversSetting]))
            {
                // The emulator's auto-approval rule (--auto-approve, --rule) approves as this actor: listed, as an operator
                // would list an Indent rule they trust; a grant by any other non-person is refused.
                overrides[Core.People.FourEyesOptions.AutoApproversSetting] = IndentEmulator.AutoApprover;
            }
        }

        // Callers' tokens: this host's own issuer unless an authority (e.g. a real Entra tenant) is configured.
        var ownIssuer = string.IsNullOrWhiteSpace(configuration[AuthOptions.AuthoritySetting]);
        if (ownIssuer)
        {
            overrides[AuthOptions.AuthoritySetting] = baseAddress.ToString();
            overrides[AuthOptions.AudienceSetting] = LocalIssuer.Audience;
            if (string.IsNullOrWhiteSpace(configuration[AuthOptions.ClientsSetting]))
            {
                overrides[AuthOptions.ClientsSetting] = LocalIssuer.ClientId;
            }
        }

        // Content root in the build output: no appsettings file watchers over whatever directory we were started in.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddConfiguration(configuration);
        builder.Configuration.AddInMemoryCollection(overrides);
        builder.WebHost.ConfigureKestrel(k => k.Listen(options.BindAddress, port));
        var started = new StrongBox<bool>();
        builder.AddLocalLogging(options, started);
        builder.AddLocalDataProtection(dataDirectory);
        builder.AddLocalTelemetry(options);
        if (options.TimeProvider is { } clock)
        {
            builder.Services.AddSingleton(clock);
        }

        builder.AddLocalEngine(engineOptions, options.AddTasks);
        // The access ledger where the engine keeps its state: a table beside the task hub's on Azure Storage (as in Azure),
        // a file in the data directory with the in-memory engine.
        builder.Services.AddSingleton<IAccessLedgerStore>(engineOptions.IsDurable
            ? new TableAccessLedgerStore(new Azure.Data.Tables.TableClient(engineOptions.StorageConnectionString!, TableAccessLedgerStore.TableNameFor(engineOptions.TaskHub)))
            : new FileAccessLedgerStore(dataDirectory));
        builder.Services.AddSingleton<IActionFenceStore>(engineOptions.IsDurable
            ? new TableActionFenceStore(new Azure.Data.Tables.TableClient(engineOptions.StorageConnectionString!, TableActionFenceStore.TableNameFor(engineOptions.TaskHub)))
            : new InMemoryActionFenceStore());
        builder.Services.AddApprovalsCore(builder.Configuration, indent =>
        {
            if (settings.IndentAttemptTimeout is { } timeout)
            {
                indent.Retry.AttemptTimeout = timeout;
            }
        });
        builder.Services.AddRequiredSecretsCheck();
        builder.AddLocalDirectory(dataDirectory, settings, baseAddress);
        if (emulated)
        {
            builder.AddIndentEmulator(EmulatorOptionsFor(options, builder.Configuration, baseAddress, dataDirectory, persist: options.PersistEmulator
                ?? (engineOptions.IsDurable || options.DataDirectory is not null || settings.DataDirectory is not null)
                ? Path.Combine(dataDirectory, "indent") : null));
            builder.Services.AddSingleton(_ => Inbox.InboxSession.Open(dataDirectory));
        }

        builder.Services.AddSingleton(_ => LocalIssuer.Open(dataDirectory));
        var app = builder.Build();
        app.MapApprovalsApi();
        app.MapLocalGraph();
        app.MapEngineInstances();
        if (ownIssuer)
        {
            app.MapLocalIssuer();
        }

        if (emulated)
        {
            app.MapIndentEmulator();
            app.MapInbox();
            app.MapGet("/", () => Results.Redirect("/inbox"));
        }

        try
        {
            await app.StartAsync(cancellationToken);
            started.Value = true;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new RunningHost(app, baseAddress, emulated, app.Services.GetRequiredService<DurableEngine>().Description, dataDirectory, generatedFile);
    }

    /// <summary>One console line per event. The frameworks (ASP.NET Core, the durable engine, gRPC, HttpClient) and the
    /// retry pipeline (Polly: one line per Indent or Graph call) speak at warning and above unless
    /// <see cref="LocalHostOptions.Verbose"/>; the host's own failure to start is left to the one line the command prints
    /// (<see cref="StartupException"/>), so the generic host's own report of it is held back until the host has started.
    /// Tests add their own capture.</summary>
    static void AddLocalLogging(this WebApplicationBuilder builder, LocalHostOptions options, StrongBox<bool> started)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }).SetMinimumLevel(options.Verbose ? LogLevel.Debug : options.LogLevel);
        if (!options.Verbose)
        {
            foreach (var category in QuietCategories)
            {
                builder.Logging.AddFilter(category, LogLevel.Warning);
            }

            // Keys for the inbox's anti-forgery tokens live owner-only in the data directory (AddLocalDataProtection):
            // the warning that they are not encrypted at rest says nothing a newcomer can act on.
            builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting", level => started.Value && level >= LogLevel.Warning);
        }

        options.ConfigureLogging?.Invoke(builder.Logging);
    }

    /// <summary>Log categories kept at warning unless <c>--verbose</c>: the frameworks and the retry pipeline.</summary>
    public static readonly IReadOnlyList<string> QuietCategories = ["Microsoft", "System.Net.Http", "DurableTask", "Grpc", "Polly"];

    /// <summary>The inbox's anti-forgery keys in the data directory (owner-only) rather than the user's home.</summary>
    static void AddLocalDataProtection(this WebApplicationBuilder builder, string dataDirectory)
    {
        var keys = Path.Combine(dataDirectory, "data-protection");
        OwnerOnly.Directory(keys);
        builder.Services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(keys)).SetApplicationName("approvals-local");
    }

    /// <summary>The same instruments as in Azure (<see cref="Core.Telemetry.ApprovalsTelemetry"/>), exported over OTLP or to
    /// the console when asked; nothing is collected otherwise.</summary>
    static void AddLocalTelemetry(this WebApplicationBuilder builder, LocalHostOptions options)
    {
        if (options.OtlpEndpoint is null && !options.ConsoleTelemetry)
        {
            return;
        }

        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing =>
            {
                tracing.AddSource(Core.Telemetry.ApprovalsTelemetry.Name).AddHttpClientInstrumentation();
                if (options.OtlpEndpoint is { } otlp)
                {
                    tracing.AddOtlpExporter(o => o.Endpoint = otlp);
                }

                if (options.ConsoleTelemetry)
                {
                    tracing.AddConsoleExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(Core.Telemetry.ApprovalsTelemetry.Name);
                if (options.OtlpEndpoint is { } otlp)
                {
                    metrics.AddOtlpExporter(o => o.Endpoint = otlp);
                }

                if (options.ConsoleTelemetry)
                {
                    metrics.AddConsoleExporter();
                }
            });
    }

    /// <summary>The Azure code against local services: <see cref="EntraUserDirectory"/> and <see cref="EntraGroupMembership"/>
    /// over HTTP to the local Microsoft Graph (<see cref="GraphEmulator"/>, its state in the data directory), with a token
    /// from the local issuer; the temporary credential in an owner-only file store (README: "Key Vault on a laptop").</summary>
    static void AddLocalDirectory(this WebApplicationBuilder builder, string dataDirectory, LocalHostSettings settings, Uri baseAddress)
    {
        builder.Services.AddSingleton(sp => new FileUserDirectory(dataDirectory, sp.GetRequiredService<TimeProvider>(), settings.DirectoryLatency, settings.DirectoryLatencyAfterWrite));
        builder.Services.AddSingleton(sp => new FileGroups(dataDirectory, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp => new GraphEmulator(sp.GetRequiredService<FileUserDirectory>(), sp.GetRequiredService<FileGroups>(), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<Azure.Core.TokenCredential>(sp => new LocalGraphCredential(sp.GetRequiredService<LocalIssuer>(), sp.GetRequiredService<GraphEmulator>(), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddEntraDirectory(GraphEndpoints.BaseUrl(baseAddress));
        builder.Services.AddSingleton(sp => new FileCredentialStore(Path.Combine(dataDirectory, "secrets"), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddHostedService<ReconcilerService>();
        builder.Services.AddSingleton<ICredentialStore>(sp => sp.GetRequiredService<FileCredentialStore>());
    }

    static EmulatorOptions EmulatorOptionsFor(LocalHostOptions options, ConfigurationManager configuration, Uri baseAddress, string dataDirectory, string? persist)
    {
        var emulator = new EmulatorOptions
        {
            Space = configuration[IndentOptions.SpaceSetting]!,
            DataDirectory = persist,
            FaultPointDirectory = Path.Combine(dataDirectory, FaultPoints.Directory),
        };
        emulator.Tokens.Add(configuration[IndentOptions.TokenSetting]!);
        emulator.WebhookSecrets.Add(SecretLists.Split(configuration[IndentWebhookEndpoint.SecretSetting])[0]);
        emulator.WebhookUrls.Add(new Uri(baseAddress, "api/webhooks/indent"));
        emulator.Rules.AddRange(options.Rules);
        if (options.AutoApproveSeconds is { } after)
        {
            emulator.Rules.Add(new DecisionRule("*", DecisionRule.Approve, after));
        }

        return emulator;
    }

    public static string DefaultDataDirectory()
    {
        var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        var root = string.IsNullOrEmpty(state) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state") : state;
        return Path.Combine(root, "approvals-local");
    }
}
