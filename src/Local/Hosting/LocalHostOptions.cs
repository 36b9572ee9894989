using System.Net;
using Approvals.Local.Emulator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Approvals.Local.Hosting;

/// <summary>How to run the local host (from the command line or a test).</summary>
public sealed class LocalHostOptions
{
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

    /// <summary>The frameworks' and the retry pipeline's information lines too (<c>serve --verbose</c>); by default they
    /// speak at warning and above.</summary>
    public bool Verbose { get; set; }

    public IConfiguration? Configuration { get; set; }

    /// <summary>Export traces and metrics over OTLP (gRPC) to this collector (<c>serve --otlp URL</c>).</summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>Print traces and metrics on the console (<c>serve --telemetry-console</c>).</summary>
    public bool ConsoleTelemetry { get; set; }

    /// <summary>Extra logging (tests capture every line to scan it for secrets).</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; set; }

    /// <summary>The clock the API and the stand-ins read (tests move it to expire a credential); the system clock when unset.</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>More orchestrators and activities for the durable worker beside Core's (tests: a caller's orchestrator
    /// running the approval step).</summary>
    public Action<Microsoft.DurableTask.DurableTaskRegistry>? AddTasks { get; init; }
}
