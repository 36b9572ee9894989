using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace Approvals.Local.Emulator;

/// <summary>Puts the Indent emulator in a host: its state, the webhook dispatcher and the rule scheduler as hosted
/// services, and what the approver inbox's forms need.</summary>
public static class EmulatorHostingExtensions
{
    public static WebApplicationBuilder AddIndentEmulator(this WebApplicationBuilder builder, EmulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(_ => new EmulatorStore(options.DataDirectory));
        builder.Services.AddSingleton(sp => new IndentEmulator(options, sp.GetRequiredService<EmulatorStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<IndentEmulator>>()));
        builder.Services.AddSingleton<FaultInjector>();
        builder.Services.AddSingleton<DecisionScheduler>();
        builder.Services.AddSingleton<WebhookDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DecisionScheduler>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        builder.Services.AddHttpClient(nameof(WebhookDispatcher));
        // Inbox form tokens live as long as the process: nothing to persist, nothing to leak.
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        builder.Services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "approvals-inbox-csrf";
            o.FormFieldName = "csrf";
        });
        return builder;
    }
}
