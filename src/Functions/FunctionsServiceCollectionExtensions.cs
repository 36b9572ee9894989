using Approvals.Core;
using Approvals.Core.Telemetry;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Approvals.Functions;

/// <summary>Everything the Functions app registers, in one call a test can make too.</summary>
public static class FunctionsServiceCollectionExtensions
{
    public const string AppInsightsSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    public static IServiceCollection AddApprovalsFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (string.IsNullOrWhiteSpace(configuration[Core.Workflow.ReconcileOptions.ScheduleSetting]))
        {
            // The reconciler's timer trigger reads its schedule from this app setting; without it the host cannot index it.
            throw new Core.Settings.SettingsException([$"{Core.Workflow.ReconcileOptions.ScheduleSetting} is not set: the access reconciler's timer schedule (e.g. '{Core.Workflow.ReconcileOptions.DefaultSchedule}', every minute)."]);
        }

        services
            .AddApprovalsCore(configuration)
            .AddEntraPasswordReset(configuration)
            .AddTableAccessLedger(configuration);

        // Worker-side OpenTelemetry (chosen over the worker Application Insights SDK: one vendor-neutral pipeline for
        // our Meter and ActivitySource, and every HttpClient call — Indent, Graph, Key Vault — becomes a dependency).
        var telemetry = services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .WithTracing(tracing => tracing.AddSource(ApprovalsTelemetry.Name).AddHttpClientInstrumentation())
            .WithMetrics(metrics => metrics.AddMeter(ApprovalsTelemetry.Name));
        if (!string.IsNullOrWhiteSpace(configuration[AppInsightsSetting]))
        {
            // Local authentication is off on the Application Insights resource: export with the managed identity.
            telemetry.UseAzureMonitorExporter(options =>
            {
                options.ConnectionString = configuration[AppInsightsSetting];
                options.Credential = new DefaultAzureCredential();
            });
        }

        return services;
    }
}
